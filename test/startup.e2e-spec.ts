import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer } from 'node:net';
import { traversableTempDir } from './support/test-database';

/** The service as operators run it: its own process, configured only by environment. */
function startService(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: join(__dirname, '..'),
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { child, output: () => stderr, exited };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilReady(port: number, ms: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    const status = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return Date.now() - started;
    await sleep(250);
  }
  throw new Error(`not ready within ${ms} ms`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('start-up and shutdown of the service process', () => {
  it.each([
    ['PORT', { PORT: 'eighty' }],
    ['IDEMPOTENCY_TTL', { IDEMPOTENCY_TTL: 'forever' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://localhost/db' }],
    ['JWT_SECRET', { NODE_ENV: 'production', DATABASE_URL: 'postgres://127.0.0.1:1/x' }],
    ['STORAGE_DRIVER', { STORAGE_DRIVER: 's3' }],
  ])('stops with exit code 1 and one line naming %s for a bad value', async (variable, env) => {
    const service = startService(env);
    expect(await service.exited).toBe(1);
    const lines = service.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(variable);
  });

  it('stops with exit code 1 and one line when DATABASE_URL cannot be reached', async () => {
    const port = await freePort();
    const service = startService({
      DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/orders`,
      DATABASE_CONNECT_TIMEOUT: '1s',
    });
    expect(await service.exited).toBe(1);
    const lines = service.output().trim().split('\n');
    expect(lines).toEqual([
      expect.stringContaining(`cannot connect to PostgreSQL at 127.0.0.1:${port}/orders`),
    ]);
  });

  it('runs on its embedded database, survives SIGKILL, and stops cleanly on SIGTERM', async () => {
    const dataDir = traversableTempDir('order-service-startup-');
    try {
      const port = await freePort();
      const first = startService({ DATA_DIR: dataDir, PORT: String(port) });
      expect(await waitUntilReady(port, 30_000)).toBeLessThan(30_000);
      const orphanPid = Number(
        readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0],
      );

      first.child.kill('SIGKILL');
      await first.exited;
      expect(isRunning(orphanPid)).toBe(true); // what a crash really leaves behind

      const second = startService({ DATA_DIR: dataDir, PORT: String(port) });
      await waitUntilReady(port, 30_000);
      expect(isRunning(orphanPid)).toBe(false);
      const serverPid = Number(
        readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0],
      );

      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
      expect(isRunning(serverPid)).toBe(false);
      expect(second.output()).toBe(''); // nothing at warn level or above: a clean run
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
