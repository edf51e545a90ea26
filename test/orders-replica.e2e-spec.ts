import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { Response } from 'supertest';
import { answersQueuedBehindLockedTable } from './support/blocking';
import { metric } from './support/metrics';
import {
  startTestApp,
  startTestAppOnOwnDatabase,
  TestApp,
  TestAppOnOwnDatabase,
} from './support/test-app';
import { expectProblem, signUpAndIn, SignedUpUser } from './support/users';

const order = () => ({
  currency: 'EUR',
  items: [{ sku: 'SKU-1', quantity: 2, unitPrice: 1250 }],
  note: 'sent to two replicas',
});

/** What a client sees of an answer: status, body and the headers it acts on. */
const answer = (response: Response) => ({
  status: response.status,
  body: response.text,
  ...Object.fromEntries(
    ['location', 'etag', 'content-type', 'cache-control', 'idempotent-replayed'].map((name) => [
      name,
      response.headers[name],
    ]),
  ),
});

/** Runs `work` while idempotency_keys takes reads but no writes (a claim's INSERT waits). */
async function withKeyWritesBlocked<T>(databaseUrl: string, work: () => Promise<T>): Promise<T> {
  const blocker = new Client({ connectionString: databaseUrl });
  await blocker.connect();
  try {
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE idempotency_keys IN EXCLUSIVE MODE');
    return await work();
  } finally {
    await blocker.query('ROLLBACK');
    await blocker.end();
  }
}

describe('order retries at a replica that keeps no answers in memory', () => {
  let app: TestAppOnOwnDatabase; // a test locks idempotency_keys, which other files must not feel
  let replica: TestApp;
  let ann: SignedUpUser;
  beforeAll(async () => {
    app = await startTestAppOnOwnDatabase();
    // One statement of a kind at a time, so a test can queue reads behind one it holds.
    replica = await startTestApp(
      { IDEMPOTENCY_MEMORY: '0', READ_CONCURRENCY: '1' },
      app.databaseUrl,
    );
    ann = await signUpAndIn(app, 'Ann');
  });
  afterAll(async () => {
    await replica?.close();
    await app.close(); // drops the database: the replica's connections first
  });

  const send = (target: TestApp, payload: object, key: string) =>
    target.http.post('/api/orders').set(ann.auth).set('Idempotency-Key', key).send(payload);
  const orderCount = async () =>
    Number(
      (
        await app.dataSource.query('SELECT count(*) AS n FROM orders WHERE user_id = $1', [ann.id])
      )[0].n,
    );
  /** A created order and its replay from the first process's memory (its second retry there). */
  const createdAndReplayed = async (key: string) => {
    await send(app, order(), key).expect(201);
    const firstRetry = await send(app, order(), key).expect(201); // read from the table
    expect(firstRetry.headers['idempotent-replayed']).toBe('true'); // ... and now remembered
    return answer(await send(app, order(), key));
  };
  /** Enough retries at the replica to make them common there: it then reads keys first. */
  const retryStorm = async (key: string, expected: ReturnType<typeof answer>) => {
    for (let i = 0; i < 40; i++)
      expect(answer(await send(replica, order(), key))).toEqual(expected);
  };

  it('answers a retry from the table exactly as the first process answers it from memory', async () => {
    const key = randomUUID();
    const fromMemory = await createdAndReplayed(key);
    expect(answer(await send(replica, order(), key))).toEqual(fromMemory);
    expect(fromMemory).toMatchObject({ status: 201, 'idempotent-replayed': 'true' });
  });

  it('reads the key before the pipeline once retries are common: a retry is answered while key writes wait', async () => {
    const key = randomUUID();
    const fromMemory = await createdAndReplayed(key);
    await retryStorm(key, fromMemory);
    // The full path's statement would wait on the lock (503 after lock_timeout); only a read answers.
    const duringLock = await withKeyWritesBlocked(app.databaseUrl, () =>
      send(replica, order(), key),
    );
    expect(answer(duringLock)).toEqual(fromMemory);
  });

  it('still creates new keys and refuses another body under a stored key while reading first', async () => {
    const key = randomUUID();
    await retryStorm(key, await createdAndReplayed(key));
    const before = await orderCount();
    const fresh = await send(replica, order(), randomUUID()).expect(201);
    expect(fresh.headers['idempotent-replayed']).toBeUndefined();
    expect(await orderCount()).toBe(before + 1);
    const changed = { ...order(), note: 'another request' };
    expectProblem(await send(replica, changed, key), 422, 'idempotency_key_reused');
  });

  it('reads the keys of retries that queue during a read in one statement, each answered its own', async () => {
    const keys = Array.from({ length: 5 }, () => randomUUID());
    const expected: ReturnType<typeof answer>[] = [];
    for (const key of keys) expected.push(await createdAndReplayed(key));
    await retryStorm(keys[0], expected[0]); // the replica now reads a retry's key first
    const reads = async () => ({
      statements: await metric(replica, 'idempotency_lookup_batch_size_count'),
      retries: await metric(replica, 'idempotency_lookup_batch_size_sum'),
    });
    const before = await reads();
    // No read of the table goes through until released: the first read waits on the lock, and
    // the retries that arrive meanwhile queue in the replica for the next statement.
    const answers = await answersQueuedBehindLockedTable(
      app.databaseUrl,
      'idempotency_keys',
      () => metric(replica, 'idempotency_lookups_waiting'),
      () => send(replica, order(), keys[0]).then(),
      keys.slice(1).map((key) => () => send(replica, order(), key).then()),
    );
    expect(answers.map(answer)).toEqual(expected);
    const after = await reads();
    expect({
      statements: after.statements - before.statements,
      retries: after.retries - before.retries,
    }).toEqual({ statements: 2, retries: 5 }); // the held read alone, then the four together
  });
});
