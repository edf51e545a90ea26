import { startTestApp, TestApp } from './support/test-app';
import { createDatabaseOn, TestDatabase } from './support/test-database';

describe('health', () => {
  // A database of its own: this file deletes a migration record, which the shared one must never see.
  let database: TestDatabase;
  let app: TestApp;
  beforeAll(async () => {
    database = await createDatabaseOn(process.env.E2E_DATABASE_URL!);
    app = await startTestApp({}, database.url);
  });
  afterAll(async () => {
    await app.close();
    await database.stop();
  });

  it('answers live and ready without credentials once migrations are applied', async () => {
    await app.http.get('/health/live').expect(200, { status: 'ok' });
    const ready = await app.http.get('/health/ready').expect(200);
    expect(ready.body).toEqual({
      status: 'ok',
      database: 'up',
      migrations: 'applied',
      jobSchema: 'applied',
    });
  });

  it('is not ready while a migration is missing from the database', async () => {
    const [latest] = await app.dataSource.query(
      'SELECT id, timestamp, name FROM migrations ORDER BY id DESC LIMIT 1',
    );
    await app.dataSource.query('DELETE FROM migrations WHERE id = $1', [latest.id]);
    try {
      const response = await app.http.get('/health/ready').expect(503);
      expect(response.headers['retry-after']).toBeTruthy();
    } finally {
      await app.dataSource.query(
        'INSERT INTO migrations (id, timestamp, name) VALUES ($1, $2, $3)',
        [latest.id, latest.timestamp, latest.name],
      );
    }
    await app.http.get('/health/ready').expect(200);
  });

  it('runs the create path end to end for monitors: 201 with timings, and leaves no row behind', async () => {
    const tables = ['users', 'orders', 'order_items', 'idempotency_keys'];
    const counts = async () =>
      Promise.all(
        tables.map(async (table) =>
          Number((await app.dataSource.query(`SELECT count(*) AS n FROM ${table}`))[0].n),
        ),
      );
    const before = await counts();
    const response = await app.http.post('/api/health/create-test').expect(201);
    expect(response.body).toEqual({
      status: 'ok',
      rolledBack: true,
      timingsMs: {
        validation: expect.any(Number),
        user: expect.any(Number),
        idempotencyKey: expect.any(Number),
        order: expect.any(Number),
        total: expect.any(Number),
      },
    });
    expect(response.body.timingsMs.total).toBeGreaterThan(0);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(await counts()).toEqual(before);
  });
});
