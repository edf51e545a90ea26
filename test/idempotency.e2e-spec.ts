import { request as httpRequest } from 'node:http';
import { Client } from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { ExpirySweeper } from '../src/idempotency/expiry-sweeper';
import { IdempotencyMetrics } from '../src/idempotency/idempotency-metrics';
import { blockedServiceBackend, holdEmail } from './support/blocking';
import { startTestApp, TestApp } from './support/test-app';
import { createDatabaseOn, TestDatabase } from './support/test-database';
import { expectProblem, signUpAndIn, uniqueEmail } from './support/users';

const body = (email: string, name = 'Idem') => ({ email, name, password: 'long enough' });
const keyOf = () => `key-${Math.random().toString(36).slice(2)}`;
const signUpOn = (app: TestApp, key: string | null, payload: object) => {
  const call = app.http.post('/api/users');
  return key === null ? call.send(payload) : call.set('Idempotency-Key', key).send(payload);
};

describe('Idempotency-Key on POST /api/users', () => {
  let database: TestDatabase;
  let app: TestApp;
  beforeAll(async () => {
    database = await createDatabaseOn(process.env.E2E_DATABASE_URL!); // slow-request tests lock rows
    app = await startTestApp({ IDEMPOTENCY_SWEEP_INTERVAL: '1h' }, database.url); // sweeps only when a test asks
  });
  afterAll(async () => {
    await app.close();
    await database.stop();
  });

  const usersWith = async (email: string) =>
    Number(
      (
        await app.dataSource.query('SELECT count(*) AS n FROM users WHERE email_normalized = $1', [
          email.toLowerCase(),
        ])
      )[0].n,
    );
  const keyRows = async (key: string) =>
    Number(
      (
        await app.dataSource.query('SELECT count(*) AS n FROM idempotency_keys WHERE key = $1', [
          key,
        ])
      )[0].n,
    );
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
        expect(await usersWith(email)).toBe(0);
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
      expect(await usersWith(email)).toBe(0);
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
      expect(await usersWith(email)).toBe(1);
      expect(await keyRows(key)).toBe(1);
    });

    it('answers 422 idempotency_key_reused for the same key with another body, creating nothing', async () => {
      const key = keyOf();
      const email = uniqueEmail();
      await signUp(key, body(email)).expect(201);
      const otherEmail = uniqueEmail();
      expectProblem(await signUp(key, body(otherEmail)), 422, 'idempotency_key_reused');
      expect(await usersWith(otherEmail)).toBe(0);
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
      expect(await keyRows(key)).toBe(0);
      await signUp(key, body(email)).expect(201);
    });

    it('does not store a 401: the same key without the bad token runs', async () => {
      const key = keyOf();
      const email = uniqueEmail();
      const rejected = await app.http
        .post('/api/users')
        .set('Idempotency-Key', key)
        .set('Authorization', 'Bearer bad.token.here')
        .send(body(email));
      expectProblem(rejected, 401, 'unauthorized');
      await signUp(key, body(email)).expect(201);
    });
  });

  describe('scope', () => {
    it("keeps one caller's key away from another: a signed-in caller with an anonymous key runs afresh", async () => {
      const key = keyOf();
      const email = uniqueEmail();
      const anonymous = await signUp(key, body(email)).expect(201);
      const someone = await signUpAndIn(app);
      const signedIn = await app.http
        .post('/api/users')
        .set(someone.auth)
        .set('Idempotency-Key', key)
        .send(body(email));
      expect(signedIn.headers['idempotent-replayed']).toBeUndefined();
      expectProblem(signedIn, 409, 'email_taken'); // it ran: the email exists, and nothing was replayed
      expect(signedIn.text).not.toContain(anonymous.body.id);
      const rows = await app.dataSource.query(
        'SELECT caller FROM idempotency_keys WHERE key = $1 ORDER BY caller',
        [key],
      );
      expect(rows.map((row: { caller: string }) => row.caller).sort()).toEqual(
        ['anonymous', someone.id].sort(),
      );
    });
  });

  describe('concurrency', () => {
    it.each([50, 200])(
      'creates one user for %i concurrent identical requests, all answered identically',
      async (count) => {
        const key = keyOf();
        const email = uniqueEmail();
        const answers = await Promise.all(
          Array.from({ length: count }, () => signUp(key, body(email))),
        );
        const distinct = new Set(
          answers.map(
            (answer) =>
              `${answer.status} ${answer.headers.location} ${answer.headers.etag} ${answer.text}`,
          ),
        );
        expect(answers.filter((answer) => answer.status >= 500)).toHaveLength(0);
        expect(distinct.size).toBe(1);
        expect(answers[0].status).toBe(201);
        expect(
          answers.filter((answer) => answer.headers['idempotent-replayed'] === 'true'),
        ).toHaveLength(count - 1);
        expect(await usersWith(email)).toBe(1);
        await app.http.get('/health/ready').expect(200); // the pool is not exhausted
      },
    );

    it('lets a duplicate wait for the request in flight and replay its outcome', async () => {
      const key = keyOf();
      const email = uniqueEmail();
      const blocker = await holdEmail(database.url, email);
      const first = signUp(key, body(email)).then((response) => response);
      await blockedServiceBackend(blocker.client);
      const duplicate = signUp(key, body(email)).then((response) => response);
      await sleep(300);
      await blocker.release();
      const [a, b] = await Promise.all([first, duplicate]);
      expect([a.status, b.status]).toEqual([201, 201]);
      expect(b.text).toBe(a.text);
      expect(b.headers['idempotent-replayed']).toBe('true');
      expect(await usersWith(email)).toBe(1);
    });

    it('counts what it did', async () => {
      const metrics = app.nest.get(IdempotencyMetrics).snapshot();
      expect(metrics.stored).toBeGreaterThan(5);
      expect(metrics.replayed).toBeGreaterThan(200);
      expect(metrics.mismatched).toBeGreaterThanOrEqual(1);
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
      expect(await keyRows(live)).toBe(1);
    });
  });

  describe('faults', () => {
    it('survives its connection being terminated mid-request: 503, then the retry creates exactly one user', async () => {
      const key = keyOf();
      const email = uniqueEmail();
      const blocker = await holdEmail(database.url, email);
      const first = signUp(key, body(email)).then((response) => response);
      const pid = await blockedServiceBackend(blocker.client);
      await blocker.client.query('SELECT pg_terminate_backend($1)', [pid]);
      const terminated = await first;
      expectProblem(terminated, 503, 'service_unavailable');
      expect(terminated.headers['retry-after']).toBeTruthy();
      await blocker.release();

      const retry = await signUp(key, body(email)).expect(201);
      expect(retry.headers['idempotent-replayed']).toBeUndefined();
      expect(await usersWith(email)).toBe(1);
      await signUp(key, body(email)).expect(201).expect('Idempotent-Replayed', 'true');
    });
  });
});

describe('Idempotency-Key timing limits', () => {
  let database: TestDatabase;
  let app: TestApp;
  beforeAll(async () => {
    database = await createDatabaseOn(process.env.E2E_DATABASE_URL!);
    app = await startTestApp(
      { IDEMPOTENCY_WAIT: '1s', IDEMPOTENCY_TTL: '2s', IDEMPOTENCY_SWEEP_INTERVAL: '200ms' },
      database.url,
    );
  });
  afterAll(async () => {
    await app.close();
    await database.stop();
  });

  it('answers 409 idempotency_key_in_use with Retry-After when the first request outlasts the wait', async () => {
    const key = keyOf();
    const email = uniqueEmail();
    const blocker = await holdEmail(database.url, email);
    const first = signUpOn(app, key, body(email)).then((response) => response);
    await blockedServiceBackend(blocker.client);
    const waitedFrom = Date.now();
    const duplicate = await signUpOn(app, key, body(email));
    expectProblem(duplicate, 409, 'idempotency_key_in_use');
    expect(Number(duplicate.headers['retry-after'])).toBeGreaterThan(0);
    expect(Date.now() - waitedFrom).toBeGreaterThanOrEqual(900); // it waited IDEMPOTENCY_WAIT (1s) first
    await blocker.release();
    expect((await first).status).toBe(201); // the first request itself was never cut short
  });

  it('forgets a key after IDEMPOTENCY_TTL: the sweeper deletes it and the key then names a new request', async () => {
    const key = keyOf();
    await signUpOn(app, key, body(uniqueEmail())).expect(201);
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      for (let waited = 0; ; waited += 200) {
        const { rows } = await client.query('SELECT 1 FROM idempotency_keys WHERE key = $1', [key]);
        if (rows.length === 0) break;
        if (waited > 10_000) throw new Error('expired key was not swept');
        await sleep(200);
      }
    } finally {
      await client.end();
    }
    const reused = await signUpOn(app, key, body(uniqueEmail()));
    expect(reused.status).toBe(201);
    expect(reused.headers['idempotent-replayed']).toBeUndefined();
    expect(app.nest.get(IdempotencyMetrics).snapshot().expired_deleted).toBeGreaterThanOrEqual(1);
  });

  it('treats an expired record the sweeper has not reached yet as a new request', async () => {
    const key = keyOf();
    await signUpOn(app, key, body(uniqueEmail())).expect(201);
    await app.dataSource.query(
      `UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = $1`,
      [key],
    );
    const reused = await signUpOn(app, key, body(uniqueEmail()));
    expect(reused.status).toBe(201);
    expect(reused.headers['idempotent-replayed']).toBeUndefined();
  });
});
