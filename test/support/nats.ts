import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { connect, NatsConnection } from 'nats';
import { freePort } from './service-process';
import { waitFor } from './wait';

const MACHINE_NATS_URL = 'nats://127.0.0.1:4222';

/**
 * The run's NATS with JetStream: the machine's (`.ci/run` starts it when none answers), else one
 * the run starts from Debian's nats-server (global setup sets NATS_TEST_URL to it).
 */
export const runNatsUrl = () => process.env.NATS_TEST_URL ?? MACHINE_NATS_URL;

/** For the global setup: null when the machine's NATS answers, else a server of the run's own. */
export async function natsForRun(): Promise<OwnNatsServer | null> {
  if (process.env.NATS_TEST_URL) return null;
  if (await answers(MACHINE_NATS_URL)) return null;
  const own = await OwnNatsServer.start().catch((error: Error) => {
    throw new Error(
      `no NATS at ${MACHINE_NATS_URL} and none could be started (${error.message}): ` +
        'install nats-server (Debian package nats-server) or set NATS_TEST_URL',
    );
  });
  process.env.NATS_TEST_URL = own.url;
  return own;
}

const answers = (url: string) => withConnection(url, async () => true).catch(() => false);

/** A stream and subject prefix no other test or run uses: runs never see each other's events. */
export function ownStream() {
  const tag = randomBytes(6).toString('hex');
  return { NATS_STREAM: `TEST_${tag}`, NATS_SUBJECT_PREFIX: `test-${tag}` };
}

export interface StoredMessage {
  subject: string;
  msgId: string;
  userId: string;
  event: { id: string; type: string; subject: string; data: unknown };
  /** When JetStream stored it. */
  storedAt: Date;
}

/** Every message the stream holds, in stream order; none when the stream does not exist yet. */
export async function streamMessages(url: string, stream: string): Promise<StoredMessage[]> {
  return withConnection(url, async (connection) => {
    const manager = await connection.jetstreamManager();
    const info = await manager.streams.info(stream).catch(() => null);
    if (!info) return [];
    const messages: StoredMessage[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages; seq++) {
      const message = await manager.streams.getMessage(stream, { seq });
      messages.push({
        subject: message.subject,
        msgId: message.header.get('Nats-Msg-Id'),
        userId: message.header.get('Order-Service-User-Id'),
        event: message.json(),
        storedAt: message.time,
      });
    }
    return messages;
  });
}

/** The stream's configuration, as the service created it. */
export async function streamConfig(url: string, stream: string) {
  return withConnection(url, async (connection) => {
    const manager = await connection.jetstreamManager();
    return (await manager.streams.info(stream)).config;
  });
}

/** A stream made before the service sees it, as an operator would; messages up to `maxMsgSize`. */
export async function createStream(
  url: string,
  stream: string,
  subjects: string,
  maxMsgSize: number,
) {
  await withConnection(url, async (connection) => {
    const manager = await connection.jetstreamManager();
    await manager.streams.add({ name: stream, subjects: [subjects], max_msg_size: maxMsgSize });
  });
}

export async function deleteStream(url: string, stream: string): Promise<void> {
  await withConnection(url, async (connection) => {
    const manager = await connection.jetstreamManager();
    await manager.streams.delete(stream).catch(() => undefined);
  });
}

async function withConnection<T>(url: string, use: (c: NatsConnection) => Promise<T>) {
  const connection = await connect({ servers: url, reconnect: false });
  try {
    return await use(connection);
  } finally {
    await connection.close();
  }
}

/** A NATS server of a test's own, which it may stop and start again (its store survives). */
export class OwnNatsServer {
  private child: ChildProcess | null = null;
  private readonly storeDir = mkdtempSync(join(tmpdir(), 'order-service-nats-'));

  private constructor(readonly port: number) {}

  static async start(): Promise<OwnNatsServer> {
    const server = new OwnNatsServer(await freePort());
    await server.resume();
    return server;
  }

  /** A server on `port` that is not running yet: `resume` starts it. */
  static async reserve(port: number): Promise<OwnNatsServer> {
    return new OwnNatsServer(port);
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async resume(): Promise<void> {
    const args = ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir];
    const child = spawn('nats-server', args, { stdio: 'ignore' });
    this.child = child;
    const failed = new Promise<never>((_, reject) => child.once('error', reject));
    await Promise.race([waitFor(`nats-server on ${this.port}`, () => answers(this.url)), failed]);
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}
