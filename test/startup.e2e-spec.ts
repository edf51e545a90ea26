import { once } from 'node:events';
import { readFileSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { directUrlEnv } from './support/pgbouncer';
import {
  freePort,
  isRunning,
  type ServiceProcess,
  startService,
  stopService,
  TEST_JWT_SECRET,
  waitUntilReady,
} from './support/service-process';
import { traversableTempDir } from './support/test-database';

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
    const lines = service.stderr().trim().split('\n');
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
    const lines = service.stderr().trim().split('\n');
    expect(lines).toEqual([
      expect.stringContaining(`cannot connect to PostgreSQL at 127.0.0.1:${port}/orders`),
    ]);
  });

  it('stops with exit code 1 and one line when METRICS_PORT is taken', async () => {
    const taken = createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    try {
      const metricsPort = (taken.address() as AddressInfo).port;
      const service = startService({
        DATABASE_URL: process.env.E2E_DATABASE_URL!,
        ...directUrlEnv(process.env.E2E_DATABASE_URL!),
        JWT_SECRET: TEST_JWT_SECRET,
        HOST: '127.0.0.1',
        PORT: String(await freePort()),
        METRICS_PORT: String(metricsPort),
      });
      expect(await service.exited).toBe(1);
      expect(service.stderr().trim().split('\n')).toEqual([
        expect.stringContaining(`cannot serve /metrics on METRICS_PORT: listen EADDRINUSE`),
      ]);
    } finally {
      taken.close();
    }
  });

  it('runs on its embedded database, survives SIGKILL, and stops cleanly on SIGTERM', async () => {
    const dataDir = traversableTempDir('order-service-startup-');
    // Each killed in the end, whatever fails: one left running would keep the run from ending.
    const started: ServiceProcess[] = [];
    const start = (env: Record<string, string>) => {
      started.push(startService({ DATA_DIR: dataDir, ...env }));
      return started.at(-1)!;
    };
    try {
      const port = await freePort();
      // From source, with initdb and every migration: slow on a loaded machine, never stuck.
      const first = start({ PORT: String(port) });
      await waitUntilReady(port, 90_000);
      const orphanPid = Number(
        readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0],
      );

      first.child.kill('SIGKILL');
      await first.exited;
      expect(isRunning(orphanPid)).toBe(true); // what a crash really leaves behind

      const second = start({ PORT: String(port) });
      await waitUntilReady(port, 90_000);
      expect(isRunning(orphanPid)).toBe(false);
      const intruder = start({ PORT: String(await freePort()) });
      expect(await intruder.exited).toBe(1); // a second service must not take over a live server
      expect(intruder.stderr()).toMatch(
        /^order-service: .* is in use by the embedded PostgreSQL \(pid \d+\) of a running service.*\n$/,
      );
      await waitUntilReady(port, 15_000);
      const serverPid = Number(
        readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0],
      );

      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
      expect(isRunning(serverPid)).toBe(false);
      expect(second.stderr()).toBe(''); // nothing at warn level or above: a clean run
    } finally {
      // SIGTERM stops a service's embedded PostgreSQL too; give each its exit before the folder goes.
      await Promise.all(started.map((service) => stopService(service)));
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 300_000);
});
