import { randomUUID } from 'node:crypto';
import { MetricsServer } from '../src/metrics/metrics-server';
import { freePort, startReadyWorker, stopService } from './support/service-process';
import { createDatabaseOn } from './support/test-database';
import { startTestAppOnOwnDatabase, TestApp } from './support/test-app';
import { image } from './support/images';
import { signUpAndIn, uniqueEmail } from './support/users';
import { waitFor } from './support/wait';

describe('GET /metrics (Prometheus)', () => {
  let app: TestApp;
  beforeAll(async () => {
    // A database of its own: on the shared one, another test file's runner may take its job.
    app = await startTestAppOnOwnDatabase();
  });
  afterAll(() => app.close());

  const scrape = async () => {
    const response = await app.http.get('/metrics').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return response.text;
  };
  const value = (metrics: string, series: string) => {
    const line = metrics.split('\n').find((candidate) => candidate.startsWith(`${series} `));
    return line === undefined ? 0 : Number(line.split(' ')[1]);
  };

  it('counts requests, 201s per route and idempotency events, times requests, and reports the pool', async () => {
    const before = await scrape();
    const key = randomUUID();
    const body = { email: uniqueEmail(), name: 'Metric', password: 'long enough' };
    await app.http.post('/api/users').set('Idempotency-Key', key).send(body).expect(201);
    await app.http.post('/api/users').set('Idempotency-Key', key).send(body).expect(201);
    const unmatched = `/nothing-here-${randomUUID()}`;
    await app.http.get(unmatched).expect(404);
    await app.http.get('/api/users/').expect(404); // an empty id: no route serves it
    const after = await scrape();

    const delta = (series: string) => value(after, series) - value(before, series);
    expect(delta('resources_created_total{route="/api/users"}')).toBe(2);
    expect(delta('http_requests_total{method="POST",route="/api/users",status="201"}')).toBe(2);
    expect(delta('http_requests_total{method="GET",route="unmatched",status="404"}')).toBe(2);
    expect(delta('http_requests_total{method="GET",route="/api/users/:id",status="404"}')).toBe(0);
    expect(delta('idempotency_events_total{event="stored"}')).toBe(1);
    expect(delta('idempotency_events_total{event="replayed"}')).toBe(1);
    expect(
      delta('http_request_duration_seconds_count{method="POST",route="/api/users",status="201"}'),
    ).toBe(2);
    expect(after).toMatch(/^db_pool_connections \d+$/m);
    expect(after).toMatch(/^db_pool_waiting_requests \d+$/m);
    expect(after).not.toContain(unmatched); // labels are route templates, never raw URLs
    expect(after).not.toContain(key);
  });

  it('counts nothing the synthetic create probe wrote and rolled back as a stored key', async () => {
    const before = await scrape();
    await app.http.post('/api/health/create-test').expect(201);
    const after = await scrape();

    expect(value(after, 'idempotency_events_total{event="stored"}')).toBe(
      value(before, 'idempotency_events_total{event="stored"}'),
    );
    expect(value(after, 'resources_created_total{route="/api/orders"}')).toBe(
      value(before, 'resources_created_total{route="/api/orders"}'),
    );
  });

  it('reports the job queue, and the time from enqueue to done of each finished job', async () => {
    const { auth } = await signUpAndIn(app);
    const series =
      'job_enqueue_to_done_seconds_count{task="files.processImage",outcome="succeeded"}';
    const before = value(await scrape(), series);
    const upload = app.http.post('/api/files').set(auth);
    const { body } = await upload.attach('file', await image('png', 32, 32), 'm.png').expect(201);
    await waitFor('the image processed', async () => {
      const file = await app.http.get(`/api/files/${body.id}`).set(auth).expect(200);
      return file.body.status === 'ready';
    });
    // The histogram is observed once the job's completion is recorded, just after the file is ready.
    const after = await waitFor('the job counted', async () => {
      const metrics = await scrape();
      return value(metrics, series) === before + 1 && metrics;
    });
    for (const state of ['queued', 'running', 'failed'])
      expect(after).toMatch(new RegExp(`^jobs_${state} \\d+$`, 'm'));
    expect(after).toMatch(/^jobs_oldest_due_age_seconds 0$/m); // its only job is done
  });
});

describe('GET /metrics on METRICS_PORT', () => {
  it('is served there only, and stops with the app', async () => {
    const app = await startTestAppOnOwnDatabase({ METRICS_PORT: '0' });
    let metricsUrl = '';
    try {
      metricsUrl = `http://127.0.0.1:${app.nest.get(MetricsServer).port()}`;
      const onApiPort = await app.http.get('/metrics').expect(404);
      expect(onApiPort.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      await app.http.get('/health/live').expect(200);

      const scrape = await fetch(`${metricsUrl}/metrics`);
      expect(scrape.status).toBe(200);
      expect(scrape.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(scrape.headers.get('cache-control')).toBe('no-store');
      const text = await scrape.text();
      expect(text).toMatch(
        /^http_requests_total\{method="GET",route="\/health\/live",status="200"\} 1$/m,
      );
      expect(text).toMatch(
        /^http_requests_total\{method="GET",route="unmatched",status="404"\} 1$/m,
      );
      expect((await fetch(`${metricsUrl}/nothing-else-here`)).status).toBe(404);
      expect((await fetch(`${metricsUrl}/metrics`, { method: 'POST' })).status).toBe(404);
    } finally {
      await app.close();
    }
    await expect(fetch(`${metricsUrl}/metrics`)).rejects.toThrow();
  });
});

describe('a worker with METRICS_PORT', () => {
  it('serves /metrics there, not beside its probes, and stops cleanly', async () => {
    // A database of its own: the worker would otherwise take other test files' jobs.
    const database = await createDatabaseOn(process.env.E2E_DATABASE_URL!);
    let worker: Awaited<ReturnType<typeof startReadyWorker>> | undefined;
    try {
      const metricsPort = await freePort();
      const env = { METRICS_PORT: String(metricsPort) };
      worker = await startReadyWorker(database.url, env, 'worker-source');
      expect(worker.stdout()).toContain('serving /metrics on port ' + metricsPort);
      expect((await fetch(`${worker.baseUrl}/metrics`)).status).toBe(404);
      const scrape = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(scrape.status).toBe(200);
      expect(await scrape.text()).toMatch(/^jobs_queued 0$/m);
      await stopService(worker);
      expect(worker.child.exitCode).toBe(0);
    } finally {
      await stopService(worker);
      await database.stop();
    }
  });
});

describe('GET /metrics with no job runner', () => {
  it('shows how long the oldest due job has waited, however few jobs there are', async () => {
    const app = await startTestAppOnOwnDatabase({ WORKER_CONCURRENCY: '0' });
    try {
      const { auth } = await signUpAndIn(app);
      await app.http
        .post('/api/files')
        .set(auth)
        .attach('file', await image('png', 8, 8), 'waiting.png')
        .expect(201);
      const metrics = await waitFor('the job ageing', async () => {
        const text = (await app.http.get('/metrics').expect(200)).text;
        const age = /^jobs_oldest_due_age_seconds (\S+)$/m.exec(text)?.[1];
        return Number(age) >= 1 && text;
      });
      expect(metrics).toMatch(/^jobs_queued 1$/m);
    } finally {
      await app.close();
    }
  });
});
