import type { INestApplicationContext } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { HealthController } from './health/health.controller';
import { ServiceUnavailableError } from './http/problem';
import { serveWorkerProbes } from './worker-probes';

describe("a worker's probes", () => {
  it('answer a refused readiness as the API does: 503 problem+json with Retry-After', async () => {
    const health = {
      live: () => ({ status: 'ok' }),
      ready: () => Promise.reject(new ServiceUnavailableError()),
    };
    const app = {
      get: (token: unknown) => (token === HealthController ? health : {}),
    } as unknown as INestApplicationContext;
    const server = serveWorkerProbes(app).listen(0, '127.0.0.1');
    await new Promise((listening) => server.once('listening', listening));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      expect((await fetch(`${base}/health/live`)).status).toBe(200);
      const ready = await fetch(`${base}/health/ready`);
      expect(ready.status).toBe(503);
      expect(ready.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
      expect(ready.headers.get('retry-after')).toBe('2');
      expect(await ready.json()).toMatchObject({ status: 503, code: 'service_unavailable' });
    } finally {
      await new Promise((closed) => server.close(closed));
    }
  });
});
