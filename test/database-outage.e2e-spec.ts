import { rmSync } from 'node:fs';
import { EmbeddedServerProcess, spawnEmbeddedServer } from './support/embedded-server';
import { freePort } from './support/service-process';
import { startTestApp, TestApp } from './support/test-app';
import { traversableTempDir } from './support/test-database';
import { expectProblem, uniqueEmail } from './support/users';
import { waitFor } from './support/wait';

describe('a database that goes down under the running app', () => {
  // A server of its own, really stopped and started again: the shared one must stay up for other files.
  const dataDir = traversableTempDir('order-service-outage-');
  let server: EmbeddedServerProcess;
  let app: TestApp;
  beforeAll(async () => {
    server = await spawnEmbeddedServer(dataDir);
    // NATS_URL set (nothing listens there): the relay's outbox gauges, which read the database,
    // are on /metrics too.
    app = await startTestApp({ NATS_URL: `nats://127.0.0.1:${await freePort()}` }, server.url);
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
    // The scrape still answers, with the 503s counted, when the gauges cannot read the database:
    // theirs are NaN (prom-client writes it "Nan"; Prometheus reads either).
    const metrics = await app.http.get('/metrics').expect(200);
    expect(metrics.text).toMatch(/^http_requests_total\{[^}]*status="503"[^}]*\} \d+$/m);
    expect(metrics.text).toMatch(/^events_unpublished NaN$/im);
    expect(metrics.text).toMatch(/^events_oldest_unpublished_age_seconds NaN$/im);
    expect(metrics.text).toMatch(/^jobs_queued NaN$/im);
    expect(metrics.text).toMatch(/^events_oldest_unsequenced_age_seconds NaN$/im);

    server = await spawnEmbeddedServer(dataDir, Number(new URL(server.url).port));
    await waitFor('a sign-up to succeed again', async () => (await signUp()).status === 201, {
      ms: 10_000,
      every: 200,
    });
    await app.http.get('/health/ready').expect(200);
  });
});
