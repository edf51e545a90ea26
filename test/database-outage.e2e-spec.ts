import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { EmbeddedServerProcess, spawnEmbeddedServer } from './support/embedded-server';
import { startTestApp, TestApp } from './support/test-app';
import { traversableTempDir } from './support/test-database';
import { expectProblem, uniqueEmail } from './support/users';

/** Polls until `probe` returns true or `ms` pass; resolves to how long it took. */
async function within(ms: number, probe: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    if (await probe()) return Date.now() - started;
    await sleep(200);
  }
  throw new Error(`condition not met within ${ms} ms`);
}

describe('a database that goes down under the running app', () => {
  // A server of its own, really stopped and started again: the shared one must stay up for other files.
  const dataDir = traversableTempDir('order-service-outage-');
  let server: EmbeddedServerProcess;
  let app: TestApp;
  beforeAll(async () => {
    server = await spawnEmbeddedServer(dataDir);
    app = await startTestApp({}, server.url);
  });
  afterAll(async () => {
    await app?.close();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 503 with Retry-After while it is down, and recovers by itself when it is back', async () => {
    const signUp = () =>
      app.http
        .post('/api/users')
        .send({ email: uniqueEmail('outage'), name: 'Outage', password: 'long enough' });
    await signUp().expect(201);

    await server.stop();
    const whileDown = await Promise.all([signUp(), signUp(), app.http.get('/health/ready')]);
    for (const response of whileDown) {
      expectProblem(response, 503, 'service_unavailable');
      expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    }
    await app.http.get('/health/live').expect(200);

    server = await spawnEmbeddedServer(dataDir, Number(new URL(server.url).port));
    const recoveredAfterMs = await within(10_000, async () => (await signUp()).status === 201);
    expect(recoveredAfterMs).toBeLessThan(10_000);
    await app.http.get('/health/ready').expect(200);
  });
});
