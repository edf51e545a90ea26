import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { PROBE_LIMIT } from '../src/create-probe/probe-rate-limit.guard';
import { directUrlFor } from './support/pgbouncer';
import { startTestApp, TestApp } from './support/test-app';
import { createDatabaseOn, TestDatabase } from './support/test-database';
import { expectProblem, signUpAndIn } from './support/users';
import { waitFor } from './support/wait';

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

  it('runs the probe at most PROBE_LIMIT times a second for one IP, then 429 with Retry-After', async () => {
    const probe = () => app.http.post('/api/health/create-test');
    // Twice the limit at once: even split across two of its windows, some are refused.
    const answers = await Promise.all(Array.from({ length: 2 * PROBE_LIMIT.limit + 2 }, probe));
    const refused = answers.filter((answer) => answer.status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(2);
    expect(answers.every((answer) => [201, 429].includes(answer.status))).toBe(true);
    for (const answer of refused) {
      expectProblem(answer, 429, 'rate_limited');
      expect(answer.headers['retry-after']).toBe('1');
    }
    await waitFor('the probe answering again', async () => (await probe()).status === 201);
  });
});

describe('a database that refuses connections or writes', () => {
  // A database of its own, whose settings the test changes. Through PgBouncer a refused login is
  // answered by the pooler's own retry, in its time: that run leaves this to the direct one.
  const throughPooler = directUrlFor(process.env.E2E_DATABASE_URL!) !== null;
  let database: TestDatabase;
  let app: TestApp;
  let admin: Client;
  beforeAll(async () => {
    database = await createDatabaseOn(process.env.E2E_DATABASE_URL!);
    app = await startTestApp({}, database.url);
    admin = new Client({ connectionString: process.env.E2E_DATABASE_URL! });
    await admin.connect();
  });
  afterAll(async () => {
    await admin.end();
    await app.close();
    await database.stop();
  });

  /** Sets `change` on the database and ends its sessions, so the service's next ones feel it. */
  async function alterAndReconnect(change: string) {
    const name = new URL(database.url).pathname.slice(1);
    await admin.query(`ALTER DATABASE ${name} ${change}`);
    // A session still starting (a poller reconnecting) may have read the settings from before the
    // change, and pg_stat_activity names its database only once it has started. It holds a lock on
    // its database from before it reads them until it is listed there, so pg_locks, read first and
    // in a statement of its own, names it.
    const starting = await admin.query(
      `SELECT pid FROM pg_locks
        WHERE locktype = 'object' AND classid = 'pg_database'::regclass
          AND objid = (SELECT oid FROM pg_database WHERE datname = $1)`,
      [name],
    );
    const started = await admin.query('SELECT pid FROM pg_stat_activity WHERE datname = $1', [
      name,
    ]);
    const pids = [...starting.rows, ...started.rows].map((row: { pid: number }) => row.pid);
    // Waits (up to 5 s) for each to exit, so the service's next request cannot find one alive.
    await admin.query('SELECT pg_terminate_backend(pid, 5000) FROM unnest($1::int[]) AS pid', [
      pids,
    ]);
  }

  (throughPooler ? it.skip : it)(
    'answers 503 service_unavailable (never 500) and is not ready, then recovers by itself',
    async () => {
      const ann = await signUpAndIn(app, 'Ann');
      const order = { currency: 'EUR', items: [{ sku: 'RO-1', quantity: 1, unitPrice: 100 }] };
      const create = () =>
        app.http.post('/api/orders').set(ann.auth).set('Idempotency-Key', randomUUID()).send(order);
      const list = () => app.http.get('/api/orders').set(ann.auth);
      try {
        await alterAndReconnect('ALLOW_CONNECTIONS false');
        for (let round = 0; round < 3; round++) {
          const answers = await Promise.all([create(), list(), app.http.get('/health/ready')]);
          for (const response of answers) expectProblem(response, 503, 'service_unavailable');
        }
        await alterAndReconnect('ALLOW_CONNECTIONS true');
        await alterAndReconnect('SET default_transaction_read_only = on'); // as a standby would be
        for (let round = 0; round < 3; round++) {
          const [created, ready, listed] = await Promise.all([
            create(),
            app.http.get('/health/ready'),
            list(),
          ]);
          expectProblem(created, 503, 'service_unavailable');
          expectProblem(ready, 503, 'service_unavailable');
          expect(listed.status).toBe(200); // reads are still served
        }
      } finally {
        await alterAndReconnect('ALLOW_CONNECTIONS true');
        await alterAndReconnect('RESET default_transaction_read_only');
      }
      await waitFor('the service to create again', async () => (await create()).status === 201);
      await app.http.get('/health/ready').expect(200);
    },
  );
});
