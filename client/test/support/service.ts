import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDatabase, type TestDatabase } from './database.js';
import './exchange-log.js';
import { REPO_ROOT } from './paths.js';

export interface RunningService {
  baseUrl: string;
  /** SIGTERM (the service drains and stops its embedded PostgreSQL), then drops the test database. */
  stop(): Promise<void>;
}

/**
 * The real service as operators run it (`node dist/src/main.js` from the root's build), in its own
 * process on a free port: on a fresh database of the server DATABASE_URL names when it is set,
 * otherwise on the embedded PostgreSQL the service starts itself under a temporary DATA_DIR.
 */
export async function startService(env: Record<string, string> = {}): Promise<RunningService> {
  const main = serviceEntry();
  const dataDir = traversableTempDir();
  const database = process.env.DATABASE_URL ? await createDatabase(process.env.DATABASE_URL) : null;
  const port = await freePort();
  const service = spawnService(main, {
    PORT: String(port),
    DATA_DIR: dataDir,
    ...databaseEnv(database),
    ...env,
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await service.stop(); // SIGTERM: the service also stops its embedded PostgreSQL
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  await Promise.race([waitUntilReady(baseUrl), service.failedToStart]).catch(
    async (error: unknown) => {
      await stop();
      throw error;
    },
  );
  return { baseUrl, stop };
}

/** The root's build of the service, which these tests do not make themselves. */
function serviceEntry(): string {
  const main = join(REPO_ROOT, 'dist', 'src', 'main.js');
  if (!existsSync(main)) {
    throw new Error(
      `${main} is missing: run "npm ci && npm run build" in the repository root first`,
    );
  }
  return main;
}

/** `node dist/src/main.js` from the repository root, as the image runs it bar its memory flags. */
function spawnService(main: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [main], {
    cwd: REPO_ROOT,
    env: serviceEnv(env),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    failedToStart: exited.then((code) =>
      Promise.reject(new Error(`the service exited with ${code}: ${stderr}`)),
    ),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

function serviceEnv(env: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    JWT_SECRET: 'client-tests-secret-that-is-long-enough-for-hs256',
    AUTH_RATE_LIMIT: '0', // every test signs up users of its own
    EXPORT_RATE_LIMIT: '0',
    ...env,
  };
}

function databaseEnv(database: TestDatabase | null): Record<string, string> {
  return database ? { DATABASE_URL: database.url } : {};
}

/** mkdtemp makes 0700 folders, which the embedded server's `postgres` user cannot enter under root. */
function traversableTempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'order-client-test-'));
  chmodSync(dir, 0o755);
  return dir;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function waitUntilReady(baseUrl: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const status = await fetch(`${baseUrl}/health/ready`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    await sleep(200);
  }
  throw new Error(`the service at ${baseUrl} was not ready within ${timeoutMs} ms`);
}
