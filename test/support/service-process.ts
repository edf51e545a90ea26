import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { directUrlEnv } from './pgbouncer';
import { waitFor } from './wait';

export interface ServiceProcess {
  child: ChildProcess;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Everything written to stdout (the JSON log) so far. */
  stdout(): string;
  exited: Promise<number | null>;
}

/**
 * `source` runs src/ through ts-node; `build` runs dist/ as the image does (starts in ~1 s; needs
 * `npm run build`); `worker` runs the built job worker (`npm run worker`), which serves no API,
 * and `worker-source` the same from src/; `peer` runs bench/peer's build, with its own defaults.
 */
export type Entry = 'source' | 'build' | 'worker' | 'worker-source' | 'peer';
/** The image's node flags (its Dockerfile's CMD; deploy/tools/node-flags.test.js keeps them so). */
const IMAGE_NODE_FLAGS = ['--max-old-space-size=160', '--heap-growing-percent=100'];
const ENTRY_ARGS: Record<Entry, string[]> = {
  source: ['-r', 'ts-node/register/transpile-only', 'src/main.ts'],
  peer: ['bench/peer/dist/main.js'], // the stack teams build instead (see peer-process.ts)
  build: [...IMAGE_NODE_FLAGS, 'dist/src/main.js'],
  worker: [...IMAGE_NODE_FLAGS, 'dist/src/worker.js'],
  'worker-source': ['-r', 'ts-node/register/transpile-only', 'src/worker.ts'],
};

/** The service as operators run it: its own process, configured only by environment. */
export function startService(
  env: Record<string, string>,
  entry: Entry = 'source',
  root = join(__dirname, '..', '..'),
): ServiceProcess {
  const child = spawn(process.execPath, ENTRY_ARGS[entry], {
    cwd: root,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { child, stderr: () => stderr, stdout: () => stdout, exited };
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Resolves with the milliseconds it took for /health/ready to answer 200. */
export async function waitUntilReady(port: number, ms: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    const status = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return Date.now() - started;
    await sleep(250);
  }
  throw new Error(`not ready within ${ms} ms`);
}

/**
 * Starts a service on `databaseUrl` and waits until it is ready; stop it with SIGTERM. `root`:
 * another checkout's build (the bench's A/B).
 */
export async function startReadyService(
  databaseUrl: string,
  env: Record<string, string> = {},
  entry: Entry = 'source',
  root?: string,
) {
  const port = Number(env.PORT ?? (await freePort()));
  const service = startService(
    { ...serviceEnv(databaseUrl), PORT: String(port), HOST: '127.0.0.1', ...env },
    entry,
    root,
  );
  await untilStarted(service, waitUntilReady(port, START_WITHIN_MS));
  return { ...service, port, baseUrl: `http://127.0.0.1:${port}` };
}

/** The secret the services started here sign their tokens with (the bench's references verify them). */
export const TEST_JWT_SECRET = 'e2e-secret-that-is-long-enough-for-hs256!';

const serviceEnv = (databaseUrl: string) => ({
  DATABASE_URL: databaseUrl,
  ...directUrlEnv(databaseUrl),
  JWT_SECRET: TEST_JWT_SECRET,
  AUTH_RATE_LIMIT: '0',
  EXPORT_RATE_LIMIT: '0',
});

/**
 * How long a start may take: from source (ts-node) with migrations, on a loaded 2-core machine,
 * several processes starting at once.
 */
const START_WITHIN_MS = 90_000;

/**
 * Resolves once `ready` does; rejects when the process exits first, or when `ready` rejects (in
 * time), and then kills it: a process left running would keep the test run from ever ending.
 */
async function untilStarted(service: ServiceProcess, ready: Promise<unknown>): Promise<void> {
  const exited = service.exited.then((code) =>
    Promise.reject(new Error(`service exited with ${code}: ${service.stderr()}`)),
  );
  try {
    await Promise.race([ready, exited]);
  } catch (error) {
    if (service.child.exitCode === null && service.child.signalCode === null) {
      service.child.kill('SIGKILL');
      await service.exited;
    }
    throw error;
  }
}

/**
 * `npm run worker` (from dist/, or src/) on `databaseUrl`, resolved once its job runner has
 * started; it serves no API, so its start-up line is what says so. Stop it with SIGTERM.
 */
export async function startReadyWorker(
  databaseUrl: string,
  env: Record<string, string> = {},
  entry: 'worker' | 'worker-source' = 'worker',
) {
  const port = await freePort(); // its probes and /metrics
  const worker = startService(
    {
      ...serviceEnv(databaseUrl),
      PORT: String(port),
      HOST: '127.0.0.1',
      ...env,
      LOG_LEVEL: 'info',
    },
    entry,
  );
  const running = () => worker.stdout().includes('worker running ');
  await untilStarted(worker, waitFor('worker running', running, { ms: START_WITHIN_MS }));
  return { ...worker, port, baseUrl: `http://127.0.0.1:${port}` };
}

/**
 * SIGTERM to `service` (a service or worker process started here), resolved once it has exited;
 * nothing to do when there is none or it has exited already.
 */
export async function stopService(service: ServiceProcess | undefined): Promise<void> {
  if (!service || service.child.exitCode !== null || service.child.signalCode !== null) return;
  service.child.kill('SIGTERM');
  await service.exited;
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
