import { request as httpRequest } from 'node:http';
import { Client } from 'pg';
import { LockKeys } from '../src/database/advisory-locks';
import { ExpirySweeper } from '../src/idempotency/expiry-sweeper';
import { body, keyOf, keyRows, signUpOn, usersWith } from './support/idempotent-sign-up';
import { forgeJwt } from './support/jwt';
import { directUrlFor } from './support/pgbouncer';
import { TEST_JWT_SECRET } from './support/service-process';
import {
  startTestApp,
  startTestAppOnOwnDatabase,
  TestApp,
  TestAppOnOwnDatabase,
} from './support/test-app';
import { expectProblem, signUpAndIn, uniqueEmail } from './support/users';

describe('Idempotency-Key on POST /api/users', () => {
  let app: TestAppOnOwnDatabase;
  beforeAll(async () => {
    app = await startTestAppOnOwnDatabase({ IDEMPOTENCY_SWEEP_INTERVAL: '1h' }); // sweeps only when a test asks
  });
  afterAll(() => app.close());

  const signUp = (key: string | null, payload: object) => signUpOn(app, key, payload);

  describe('syntax', () => {
    it('treats the sf-string "k" and the bare k as the same key', async () => {
      const key = keyOf();
      const email = uniqueEmail();
      const first = await signUp(`"${key}"`, body(email)).expect(201);
      const retry = await signUp(key, body(email)).expect(201);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.body.id).toBe(first.body.id);
    });

    it.each([
      ['empty', '""'],
      ['too long', 'k'.repeat(256)],
      ['non-ASCII', 'clé-1'],
      ['containing a space', 'a b'],
      ['an unterminated sf-string', '"abc'],
    ])(
      'answers 400 idempotency_key_invalid for a key that is %s, and writes nothing',
      async (_case, key) => {
        const email = uniqueEmail();
        expectProblem(await signUp(key, body(email)), 400, 'idempotency_key_invalid');
        expect(await usersWith(app, email)).toBe(0);
      },
    );

    it('answers 400 idempotency_key_invalid for a repeated header', async () => {
      const email = uniqueEmail();
      const payload = JSON.stringify(body(email));
      const url = new URL('/api/users', app.baseUrl);
      const status = await new Promise<number>((resolve, reject) => {
        const call = httpRequest(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Idempotency-Key': ['one', 'two'] },
        });
        call.on('response', (response) => resolve(response.statusCode!)).on('error', reject);
        call.end(payload);
      });
      expect(status).toBe(400);
      expect(await usersWith(app, email)).toBe(0);
    });

    it('runs a request without a key once, keeping no record (the key is optional here)', async () => {
      const email = uniqueEmail();
      await signUp(null, body(email)).expect(201);
      const [{ n }] = await app.dataSource.query(
        `SELECT count(*) AS n FROM idempotency_keys WHERE response_body LIKE $1`,
        [`%${email}%`],
      );
      expect(Number(n)).toBe(0);
    });
  });

  describe('replay and mismatch', () => {
    it('replays the stored 201 byte for byte with Idempotent-Replayed, whatever the JSON key order', async () => {
      const key = keyOf();
      const email = uniqueEmail();
      const first = await signUp(key, body(email)).expect(201);
      const reordered = `{ "password": "long enough",\n  "name": "Idem", "email": "${email}" }`;
      const retry = await app.http
        .post('/api/users')
        .set('Idempotency-Key', key)
        .set('Content-Type', 'application/json')
        .send(reordered);

      expect(retry.status).toBe(201);
      expect(retry.text).toBe(first.text);
      for (const header of ['location', 'etag', 'content-type', 'cache-control']) {
        expect(retry.headers[header]).toBe(first.headers[header]);
      }
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      expect(await usersWith(app, email)).toBe(1);
      expect(await keyRows(app, key)).toBe(1);
    });

    it('answers 422 idempotency_key_reused for the same key with another body, creating nothing', async () => {
      const key = keyOf();
      const email = uniqueEmail();
      await signUp(key, body(email)).expect(201);
      const otherEmail = uniqueEmail();
      expectProblem(await signUp(key, body(otherEmail)), 422, 'idempotency_key_reused');
      expect(await usersWith(app, otherEmail)).toBe(0);
    });

    it('stores the fingerprint as an HMAC, never the password', async () => {
      const key = keyOf();
      await signUp(key, body(uniqueEmail())).expect(201);
      const [row] = await app.dataSource.query(
        `SELECT encode(fingerprint, 'escape') AS f, response_body FROM idempotency_keys WHERE key = $1`,
        [key],
      );
      expect(row.f).not.toContain('long enough');
      expect(row.response_body).not.toContain('long enough');
    });
  });

  describe('what is stored', () => {
    it('stores and replays a 409 email_taken produced by the handler', async () => {
      const email = uniqueEmail();
      await signUp(null, body(email)).expect(201);
      const key = keyOf();
      const first = await signUp(key, body(email, 'Second'));
      expectProblem(first, 409, 'email_taken');
      const retry = await signUp(key, body(email, 'Second'));
      expect([retry.status, retry.text, retry.headers['idempotent-replayed']]).toEqual([
        409,
        first.text,
        'true',
      ]);
    });

    it('does not store a 400 from validation: the corrected request with the same key runs', async () => {
      const key = keyOf();
      const email = uniqueEmail();
      expectProblem(
        await signUp(key, { email, name: 'Idem', password: 'short' }),
        400,
        'validation_failed',
      );
      expect(await keyRows(app, key)).toBe(0);
      await signUp(key, body(email)).expect(201);
    });
  });

  describe('scope', () => {
    it('keys a sign-up to the anonymous caller whatever token comes with it, so the retry without one replays', async () => {
      const someone = await signUpAndIn(app);
      const hourAgo = Math.floor(Date.now() / 1000) - 3600;
      const expired = forgeJwt(
        { sub: someone.id, iat: hourAgo - 3600, exp: hourAgo },
        TEST_JWT_SECRET,
      );
      for (const authorization of [
        someone.auth.Authorization,
        `Bearer ${expired}`,
        'Bearer garbage',
      ]) {
        const key = keyOf();
        const email = uniqueEmail();
        const first = await app.http
          .post('/api/users')
          .set('Idempotency-Key', key)
          .set('Authorization', authorization)
          .send(body(email))
          .expect(201);
        const retry = await signUp(key, body(email)).expect(201);
        expect(retry.headers['idempotent-replayed']).toBe('true');
        expect(retry.body).toEqual(first.body);
        const rows = await app.dataSource.query(
          'SELECT caller FROM idempotency_keys WHERE key = $1',
          [key],
        );
        expect(rows).toEqual([{ caller: 'anonymous' }]);
      }
    });
  });

  describe('expiry', () => {
    it('sweeps exactly the expired records, in batches, and leaves live ones', async () => {
      await app.dataSource.query(
        `INSERT INTO idempotency_keys (caller, method, route, key, fingerprint, response_status, response_headers,
                                       response_body, created_at, expires_at)
         SELECT 'sweep-test', 'POST', '/api/users', 'expired-' || n, '\\x00', 201, '{}', '', now(), now() - interval '1 minute'
           FROM generate_series(1, 1234) AS n`,
      );
      const live = keyOf();
      await signUp(live, body(uniqueEmail())).expect(201);
      expect(await app.nest.get(ExpirySweeper).sweep()).toBe(1234);
      const [{ n }] = await app.dataSource.query(
        `SELECT count(*) AS n FROM idempotency_keys WHERE caller = 'sweep-test'`,
      );
      expect(Number(n)).toBe(0);
      expect(await keyRows(app, live)).toBe(1);
    });

    it('leaves its round to the replica holding the sweep lock, and sweeps once it is free', async () => {
      const expired = async () => {
        const [{ n }] = await app.dataSource.query(
          `SELECT count(*) AS n FROM idempotency_keys WHERE caller = 'sweep-lock-test'`,
        );
        return Number(n);
      };
      await app.dataSource.query(
        `INSERT INTO idempotency_keys (caller, method, route, key, fingerprint, response_status, response_headers,
                                       response_body, created_at, expires_at)
         SELECT 'sweep-lock-test', 'POST', '/api/users', 'expired-' || n, '\\x00', 201, '{}', '', now(), now() - interval '1 minute'
           FROM generate_series(1, 3) AS n`,
      );
      // Another replica's sweep, as PostgreSQL sees it: a transaction holding the lock.
      const replica = new Client({
        connectionString: directUrlFor(app.databaseUrl) ?? app.databaseUrl,
      });
      await replica.connect();
      try {
        await replica.query('BEGIN');
        await replica.query('SELECT pg_advisory_xact_lock($1)', [LockKeys.idempotencyExpiry]);
        expect(await app.nest.get(ExpirySweeper).sweep()).toBe(0);
        expect(await expired()).toBe(3);
        await replica.query('COMMIT');
      } finally {
        await replica.end();
      }
      expect(await app.nest.get(ExpirySweeper).sweep()).toBeGreaterThanOrEqual(3);
      expect(await expired()).toBe(0);
    });

    it('treats an expired record the sweeper has not reached yet as a new request', async () => {
      const key = keyOf(); // this app sweeps only when a test asks: the record stays until then
      await signUp(key, body(uniqueEmail())).expect(201);
      await app.dataSource.query(
        `UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = $1`,
        [key],
      );
      const reused = await signUp(key, body(uniqueEmail()));
      expect(reused.status).toBe(201);
      expect(reused.headers['idempotent-replayed']).toBeUndefined();
    });
  });
});

describe('an IDEMPOTENCY_TTL longer than 24 days (more milliseconds than an integer holds)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ IDEMPOTENCY_TTL: '30d' });
  });
  afterAll(() => app.close());

  it("remembers keys for the whole TTL, a sign-up's and an order's", async () => {
    const user = await signUpAndIn(app);
    const signUpKey = keyOf();
    await signUpOn(app, signUpKey, body(uniqueEmail())).expect(201);
    const orderKey = keyOf();
    const order = { currency: 'EUR', items: [{ sku: 'TTL-1', quantity: 1, unitPrice: 100 }] };
    const created = () =>
      app.http.post('/api/orders').set(user.auth).set('Idempotency-Key', orderKey).send(order);
    await created().expect(201);
    await created().expect(201).expect('Idempotent-Replayed', 'true');
    const rows: { seconds: string }[] = await app.dataSource.query(
      `SELECT extract(epoch FROM expires_at - created_at) AS seconds
         FROM idempotency_keys WHERE key = ANY ($1)`,
      [[signUpKey, orderKey]],
    );
    expect(rows.map((row) => Number(row.seconds))).toEqual([30 * 86_400, 30 * 86_400]);
  });
});
