import { randomUUID } from 'node:crypto';
import { startTestApp, TestApp } from './support/test-app';
import { uniqueEmail } from './support/users';

describe('GET /metrics (Prometheus)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
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
    const after = await scrape();

    const delta = (series: string) => value(after, series) - value(before, series);
    expect(delta('resources_created_total{route="/api/users"}')).toBe(2);
    expect(delta('http_requests_total{method="POST",route="/api/users",status="201"}')).toBe(2);
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
});
