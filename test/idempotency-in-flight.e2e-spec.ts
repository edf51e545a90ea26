import { randomUUID } from 'node:crypto';
import { IdempotencyEvent, IdempotencyMetrics } from '../src/idempotency/idempotency-metrics';
import { BatchedClaims } from '../src/idempotency/batched-claims';
import { CreateExecutor } from '../src/idempotency/create-executor';
import { ClaimResult } from '../src/idempotency/idempotency.repository';
import {
  blockedServiceBackend,
  holdEmail,
  holdInTransaction,
  holdOrderReference,
} from './support/blocking';
import { body, keyOf, keyRows, signUpOn, usersWith } from './support/idempotent-sign-up';
import {
  startTestApp,
  startTestAppOnOwnDatabase,
  TestApp,
  TestAppOnOwnDatabase,
} from './support/test-app';
import { expectProblem, signUpAndIn, SignedUpUser, uniqueEmail } from './support/users';
import { waitFor } from './support/wait';

/** What each idempotency counter of `app` counted while `work` ran. */
async function countedDuring(app: TestApp, work: () => Promise<void>) {
  const metrics = app.nest.get(IdempotencyMetrics);
  const before = metrics.snapshot();
  await work();
  const after = metrics.snapshot();
  return Object.fromEntries(
    Object.entries(after).map(([event, n]) => [event, n - before[event as IdempotencyEvent]]),
  );
}

/** An order; its `clientReference` lets a test hold its create (see holdOrderReference). */
const order = (clientReference: string) => ({
  currency: 'EUR',
  items: [{ sku: 'IN-FLIGHT-1', quantity: 2, unitPrice: 450 }],
  clientReference,
});

/** The states of the key claims `app` runs from now on (written, exists, busy), as they settle. */
function claimStates(app: TestApp) {
  const claims = app.nest.get(BatchedClaims);
  const claim = claims.claim.bind(claims);
  const states: ClaimResult['state'][] = [];
  const spy = jest.spyOn(claims, 'claim').mockImplementation(async (...args) => {
    const result = await claim(...args);
    states.push(result.state);
    return result;
  });
  return { states, restore: () => spy.mockRestore() };
}

describe('Idempotency-Key with a request in flight', () => {
  let app: TestAppOnOwnDatabase; // these tests lock rows
  beforeAll(async () => {
    // Duplicates wait for the first request of a burst (a password hash among 200 parsed bodies)
    // well past the default wait: a loaded machine must not turn them into 409s.
    app = await startTestAppOnOwnDatabase({ IDEMPOTENCY_WAIT: '30s' });
  });
  afterAll(() => app.close());

  const signUp = (key: string | null, payload: object) => signUpOn(app, key, payload);

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
        expect(await usersWith(app, email)).toBe(1);
        await app.http.get('/health/ready').expect(200); // the pool is not exhausted
      },
    );

    it('lets a duplicate wait for the request in flight and replay its outcome', async () => {
      const key = keyOf();
      const email = uniqueEmail();
      // A duplicate at the same process waits in its in-memory queue, which no database view
      // shows. Watched here, unchanged, is its call of the create executor, which queues it
      // behind the request in flight before it awaits anything.
      const executions = jest.spyOn(app.nest.get(CreateExecutor), 'execute');
      const blocker = await holdEmail(app.databaseUrl, email);
      try {
        const first = signUp(key, body(email)).then((response) => response);
        await blockedServiceBackend(blocker.client);
        const duplicate = signUp(key, body(email)).then((response) => response);
        await waitFor('the duplicate queued', () => executions.mock.calls.length >= 2);
        await blocker.release();
        const [a, b] = await Promise.all([first, duplicate]);
        expect([a.status, b.status]).toEqual([201, 201]);
        expect(b.text).toBe(a.text);
        expect(b.headers['idempotent-replayed']).toBe('true');
        expect(await usersWith(app, email)).toBe(1);
      } finally {
        executions.mockRestore();
        await blocker.release();
      }
    });

    it('answers from a key record committed while its claim waited on it: busy, then the record', async () => {
      const claims = claimStates(app);
      const key = keyOf();
      const email = uniqueEmail();
      // Another request's record of the key, not committed yet: the claim's snapshot misses it,
      // and its insert waits for it (as when the other commits between the two).
      const other = await holdInTransaction(
        app.databaseUrl,
        `INSERT INTO idempotency_keys (caller, method, route, key, fingerprint, response_status,
                                       response_headers, response_body, created_at, expires_at)
         VALUES ('anonymous', 'POST', '/api/users', $1, '\\x00', 201, '{}', '{}', now(),
                 now() + interval '1 hour')`,
        [key],
      );
      try {
        const answer = signUp(key, body(email)).then((response) => response);
        await blockedServiceBackend(other.client);
        await other.client.query('COMMIT');
        expectProblem(await answer, 422, 'idempotency_key_reused'); // another request's record
        expect(await usersWith(app, email)).toBe(0);
        expect(claims.states).toEqual(['busy', 'exists']);
      } finally {
        claims.restore();
        await other.release();
      }
    });

    it('counts what it did', async () => {
      const created = Array.from({ length: 6 }, () => ({ key: keyOf(), email: uniqueEmail() }));
      const [{ key, email }] = created;
      const counted = await countedDuring(app, async () => {
        for (const each of created) await signUp(each.key, body(each.email)).expect(201);
        const retries = await Promise.all(
          Array.from({ length: 201 }, () => signUp(key, body(email))),
        );
        const answered = retries.map((retry) => [
          retry.status,
          retry.headers['idempotent-replayed'],
        ]);
        expect(new Set(answered.map(String))).toEqual(new Set(['201,true']));
        expectProblem(await signUp(key, body(uniqueEmail())), 422, 'idempotency_key_reused');
      });
      // What it did, exactly: more than 5 stored, more than 200 replayed, a mismatch.
      expect(counted).toEqual({
        stored: 6,
        replayed: 201,
        mismatched: 1,
        in_flight_conflict: 0,
        expired_deleted: 0,
      });
    });
  });

  describe('a duplicate at another process, on the same database', () => {
    let replica: TestApp; // no in-memory queue in common with `app`: its claim meets the first's
    let ann: SignedUpUser;
    beforeAll(async () => {
      replica = await startTestApp({ IDEMPOTENCY_WAIT: '30s' }, app.databaseUrl);
      ann = await signUpAndIn(app, 'Ann');
    });
    afterAll(() => replica?.close()); // before `app` drops the database

    const createAt = (target: TestApp, key: string, payload: object) =>
      target.http.post('/api/orders').set(ann.auth).set('Idempotency-Key', key).send(payload);
    const ordersOfAnn = async () => {
      const sql = 'SELECT count(*)::int AS n FROM orders WHERE user_id = $1';
      const [{ n }] = await app.dataSource.query(sql, [ann.id]);
      return n as number;
    };

    it("finds the key busy while the first create holds it, then replays the first's answer once it commits", async () => {
      const [key, reference] = [randomUUID(), `in-flight-${randomUUID()}`];
      const hold = await holdOrderReference(app.databaseUrl, ann.id, reference);
      const [atFirst, atReplica] = [claimStates(app), claimStates(replica)];
      try {
        const first = createAt(app, key, order(reference)).then((response) => response);
        await blockedServiceBackend(hold.client); // its key claimed, its order insert waiting
        const duplicate = createAt(replica, key, order(reference)).then((response) => response);
        await waitFor("the duplicate's claim", () => atReplica.states.length > 0);
        await hold.release(); // the first's order is written, and its statement commits
        const [a, b] = await Promise.all([first, duplicate]);
        expect([a.status, a.headers['idempotent-replayed']]).toEqual([201, undefined]);
        const seen = (r: typeof a) => [r.status, r.text, r.headers.location, r.headers.etag];
        expect(seen(b)).toEqual(seen(a));
        expect(b.headers['idempotent-replayed']).toBe('true');
        expect(await ordersOfAnn()).toBe(1);
        // The duplicate's tries: busy while the first held the key, then the first's record.
        expect(atFirst.states).toEqual(['written']);
        const tries = atReplica.states;
        expect([new Set(tries.slice(0, -1)), tries.at(-1)]).toEqual([new Set(['busy']), 'exists']);
      } finally {
        atFirst.restore();
        atReplica.restore();
        await hold.release();
      }
    });
  });

  describe('faults', () => {
    it('survives its connection being terminated mid-request: 503, then the retry creates exactly one user', async () => {
      const key = keyOf();
      const email = uniqueEmail();
      const blocker = await holdEmail(app.databaseUrl, email);
      const first = signUp(key, body(email)).then((response) => response);
      const pid = await blockedServiceBackend(blocker.client);
      await blocker.client.query('SELECT pg_terminate_backend($1)', [pid]);
      const terminated = await first;
      expectProblem(terminated, 503, 'service_unavailable');
      expect(terminated.headers['retry-after']).toBeTruthy();
      await blocker.release();

      const retry = await signUp(key, body(email)).expect(201);
      expect(retry.headers['idempotent-replayed']).toBeUndefined();
      expect(await usersWith(app, email)).toBe(1);
      await signUp(key, body(email)).expect(201).expect('Idempotent-Replayed', 'true');
    });
  });
});

describe('Idempotency-Key timing limits', () => {
  let app: TestAppOnOwnDatabase;
  beforeAll(async () => {
    app = await startTestAppOnOwnDatabase({
      IDEMPOTENCY_WAIT: '1s',
      IDEMPOTENCY_TTL: '2s',
      IDEMPOTENCY_SWEEP_INTERVAL: '200ms',
    });
  });
  afterAll(() => app.close());

  it('answers 409 idempotency_key_in_use with Retry-After when the first request outlasts the wait', async () => {
    const key = keyOf();
    const email = uniqueEmail();
    const blocker = await holdEmail(app.databaseUrl, email);
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
    const counted = await countedDuring(app, async () => {
      await signUpOn(app, key, body(uniqueEmail())).expect(201);
      await waitFor('the sweeper deleting the expired key', async () => !(await keyRows(app, key)));
    });
    const reused = await signUpOn(app, key, body(uniqueEmail()));
    expect(reused.status).toBe(201);
    expect(reused.headers['idempotent-replayed']).toBeUndefined();
    expect(counted.expired_deleted).toBeGreaterThanOrEqual(1);
  });
});
