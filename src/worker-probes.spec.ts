import type { INestApplicationContext } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { APP_CONFIG } from './config/app-config';
import { HealthController } from './health/health.controller';
import { ServiceUnavailableError } from './http/problem';
import { Metrics } from './metrics/metrics';
import { serveWorkerProbes } from './worker-probes';

/** The probes of a worker whose database is down, on a free port, for `check` to ask. */
async function withProbes(metricsPort: number | null, check: (base: string) => Promise<void>) {
  const health = {
    live: () => ({ status: 'ok' }),
    ready: () => Promise.reject(new ServiceUnavailableError()),
  };
  const metrics = { registry: { contentType: 'text/plain', metrics: async () => 'up 1\n' } };
  const parts = new Map<unknown, unknown>([
    [HealthController, health],
    [Metrics, metrics],
    [APP_CONFIG, { metricsPort }],
  ]);
  const app = { get: (token: unknown) => parts.get(token) } as INestApplicationContext;
  const server = serveWorkerProbes(app).listen(0, '127.0.0.1');
  await new Promise((listening) => server.once('listening', listening));
  try {
    await check(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    await new Promise((closed) => server.close(closed));
  }
}

describe("a worker's probes", () => {
  it('answer a refused readiness as the API does: 503 problem+json with Retry-After', () =>
    withProbes(null, async (base) => {
      expect((await fetch(`${base}/health/live`)).status).toBe(200);
      const ready = await fetch(`${base}/health/ready`);
      expect(ready.status).toBe(503);
      expect(ready.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
      expect(ready.headers.get('retry-after')).toBe('2');
      expect(await ready.json()).toMatchObject({ status: 503, code: 'service_unavailable' });
    }));

  it('serve /metrics beside them, unless METRICS_PORT puts it on a port of its own', async () => {
    await withProbes(null, async (base) => {
      const scrape = await fetch(`${base}/metrics`);
      expect(scrape.status).toBe(200);
      expect(await scrape.text()).toBe('up 1\n');
    });
    await withProbes(9464, async (base) => {
      expect((await fetch(`${base}/metrics`)).status).toBe(404);
      expect((await fetch(`${base}/health/live`)).status).toBe(200);
    });
  });
});
