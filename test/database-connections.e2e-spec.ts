import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { poolOf, SESSION_SETTINGS } from '../src/database/data-source';
import {
  blockedBackends,
  blockedServiceBackend,
  holdEmail,
  holdInTransaction,
} from './support/blocking';
import { directUrlFor, PgBouncer } from './support/pgbouncer';
import { startTestApp, startTestAppOnOwnDatabase, TestApp } from './support/test-app';
import { createDatabaseOn } from './support/test-database';
import { expectProblem, signUpAndIn, SignedUpUser, uniqueEmail } from './support/users';

describe('database connections under business rejections', () => {
  let app: TestApp;
  let ann: SignedUpUser;
  beforeAll(async () => {
    app = await startTestApp();
    ann = await signUpAndIn(app, 'Ann');
  });
  afterAll(() => app.close());

  it('keeps the connection a 409 ran on: the statement failed, the connection did not', async () => {
    const pool = poolOf(app.dataSource)!;
    const order = {
      currency: 'EUR',
      items: [{ sku: 'SKU-1', quantity: 1, unitPrice: 100 }],
      clientReference: `ref-${randomUUID()}`,
    };
    const sendOrder = () =>
      app.http.post('/api/orders').set(ann.auth).set('Idempotency-Key', randomUUID()).send(order);
    await sendOrder().expect(201);
    const releasedAsBroken: Error[] = [];
    const countBroken = (error?: Error) => error && releasedAsBroken.push(error);
    pool.on('release', countBroken);
    try {
      for (let i = 0; i < 3; i++) {
        expectProblem(await sendOrder(), 409, 'order_reference_taken');
        const signUp = { email: ann.email, password: 'long enough', name: 'Again' };
        expectProblem(await app.http.post('/api/users').send(signUp), 409, 'email_taken');
      }
    } finally {
      pool.off('release', countBroken);
    }
    expect(releasedAsBroken).toEqual([]);
  });

  it('discards the connection a FATAL error ended (its backend terminated): never handed out again', async () => {
    // A database of its own: the lock wait found must be this test's.
    const own = await startTestAppOnOwnDatabase();
    const pool = poolOf(own.dataSource)!;
    const email = uniqueEmail('terminated');
    const blocker = await holdEmail(own.databaseUrl, email);
    const releasedAsBroken: Error[] = [];
    const countBroken = (error?: Error) => error && releasedAsBroken.push(error);
    pool.on('release', countBroken);
    try {
      const signUp = { email, password: 'long enough', name: 'Terminated' };
      const answer = own.http
        .post('/api/users')
        .send(signUp)
        .then((response) => response);
      const pid = await blockedServiceBackend(blocker.client);
      await blocker.client.query('SELECT pg_terminate_backend($1)', [pid]);
      expectProblem(await answer, 503, 'service_unavailable');
      // Through PgBouncer the client connection closes only a moment after the FATAL: were it
      // given back as usable, the next request could take it and fail.
      expect(releasedAsBroken).toMatchObject([{ code: '57P01' }]);
    } finally {
      pool.off('release', countBroken);
      await blocker.release();
      await own.close();
    }
  });

  it('discards the connection a FATAL error ended inside a transaction (a cancel waiting on a row lock)', async () => {
    const own = await startTestAppOnOwnDatabase();
    const pool = poolOf(own.dataSource)!;
    const releasedAsBroken: Error[] = [];
    const countBroken = (error?: Error) => error && releasedAsBroken.push(error);
    const blocker = new Client({ connectionString: own.databaseUrl });
    try {
      const bob = await signUpAndIn(own, 'Bob');
      const created = await own.http
        .post('/api/orders')
        .set(bob.auth)
        .set('Idempotency-Key', randomUUID())
        .send({ currency: 'EUR', items: [{ sku: 'SKU-1', quantity: 1, unitPrice: 100 }] })
        .expect(201);
      const id = (created.body as { id: string }).id;
      await blocker.connect();
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM orders WHERE id = $1 FOR UPDATE', [id]);
      pool.on('release', countBroken);
      const answer = own.http
        .post(`/api/orders/${id}/cancel`)
        .set(bob.auth)
        .then((response) => response);
      const pid = await blockedServiceBackend(blocker);
      await blocker.query('SELECT pg_terminate_backend($1)', [pid]);
      expectProblem(await answer, 503, 'service_unavailable');
      // The transaction's connection goes back to the pool as broken (TypeORM's ROLLBACK on it
      // fails, directly and through PgBouncer), so no later request is handed it.
      expect(releasedAsBroken).toHaveLength(1);
      await blocker.query('ROLLBACK');
      const order = await own.http.get(`/api/orders/${id}`).set(bob.auth).expect(200);
      expect(order.body).toMatchObject({ id, status: 'pending' });
    } finally {
      pool.off('release', countBroken);
      await blocker.end();
      await own.close();
    }
  });
});

const throughPooler = directUrlFor(process.env.E2E_DATABASE_URL!) !== null;

/** `query_wait_timeout` of deploy/k8s/pgbouncer.yaml's pgbouncer.ini, in seconds. */
function shippedQueryWaitTimeoutSeconds(): number {
  const manifest = readFileSync(join(__dirname, '..', 'deploy', 'k8s', 'pgbouncer.yaml'), 'utf8');
  const setting = /^\s*query_wait_timeout\s*=\s*(\d+)\s*$/m.exec(manifest);
  if (!setting) throw new Error('deploy/k8s/pgbouncer.yaml sets no query_wait_timeout');
  return Number(setting[1]);
}

describe('database connections through a transaction pooler', () => {
  const LOCK = 4_242; // an advisory lock of the test's own database
  const CHECKER = 'e2e-interval-check';

  /**
   * The setting as each of `count` transactions held open together sees it: each waits on a lock
   * a direct session holds until all `count` are seen waiting, so they are open at once, each on
   * a server connection of the pooler's.
   */
  async function checkIntervalsOnServerConnections(url: string, count: number) {
    const hold = await holdInTransaction(directUrlFor(url)!, 'SELECT pg_advisory_xact_lock($1)', [
      LOCK,
    ]);
    const clients = Array.from(
      { length: count },
      () => new Client({ connectionString: url, application_name: CHECKER }),
    );
    try {
      await Promise.all(clients.map((client) => client.connect()));
      const answers = Promise.all(
        clients.map((client) =>
          client.query<{ interval: string }>(
            `SELECT current_setting('client_connection_check_interval') AS interval,
                    pg_advisory_xact_lock_shared($1)`,
            [LOCK],
          ),
        ),
      );
      answers.catch(() => undefined); // awaited below unless the wait fails first
      await blockedBackends(hold.client, CHECKER, count);
      await hold.release();
      return (await answers).map((result) => result.rows[0].interval);
    } finally {
      await hold.release();
      await Promise.all(clients.map((client) => client.end()));
    }
  }

  // Only a run through PgBouncer (E2E_THROUGH_PGBOUNCER) has a pooler in front of its databases.
  (throughPooler ? it : it.skip)(
    "answers 503 with Retry-After when the shipped PgBouncer's query_wait_timeout ends a request's wait for a server connection",
    async () => {
      const waitSeconds = shippedQueryWaitTimeoutSeconds();
      const database = await createDatabaseOn(process.env.E2E_DATABASE_URL!);
      const direct = directUrlFor(database.url)!;
      const settings = ['default_pool_size = 1', `query_wait_timeout = ${waitSeconds}`];
      const bouncer = await PgBouncer.start(direct, settings);
      const holder = new Client({ connectionString: bouncer.pooled(database.url) });
      let app: TestApp | undefined;
      try {
        app = await startTestApp({ DATABASE_DIRECT_URL: direct }, bouncer.pooled(database.url));
        const ann = await signUpAndIn(app, 'Ann');
        const path = `/api/orders/${randomUUID()}`;
        await holder.connect();
        await holder.query('BEGIN');
        await holder.query('SELECT 1'); // the pooler's one server connection, held in a transaction
        const started = Date.now();
        const answer = await app.http.get(path).set(ann.auth);
        const waitedMs = Date.now() - started;
        expectProblem(answer, 503, 'service_unavailable');
        expect(answer.headers['retry-after']).toMatch(/^\d+$/);
        // The 3 s pool wait operations.md promises, and a second or two for the pooler's own check.
        expect(waitedMs).toBeLessThan(5_500);
        await holder.query('ROLLBACK');
        await app.http.get(path).set(ann.auth).expect(404); // the connection it closed was dropped
      } finally {
        await holder.end().catch(() => undefined);
        await app?.close();
        await bouncer.stop();
        await database.stop();
      }
    },
    30_000,
  );

  (throughPooler ? it : it.skip)(
    "gives even the pooler's first server connection the session settings (a crashed client is noticed)",
    async () => {
      const app = await startTestAppOnOwnDatabase(); // a new database: the pooler's first connections to it
      try {
        // Transactions held open together take every idle server connection the pooler has (the
        // app's pool, at most 10, has opened fewer than that through it by now).
        const intervals = await checkIntervalsOnServerConnections(app.databaseUrl, 12);
        const expected = `${SESSION_SETTINGS.client_connection_check_interval / 1000}s`;
        expect(intervals).toEqual(Array(12).fill(expected));
      } finally {
        await app.close();
      }
    },
  );
});
