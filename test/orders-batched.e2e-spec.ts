import { createHash, randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { blockedServiceBackend, holdInTransaction, holdOrderReference } from './support/blocking';
import { metric } from './support/metrics';
import { startTestAppOnOwnDatabase, TestAppOnOwnDatabase } from './support/test-app';
import { expectProblem, signUpAndIn, SignedUpUser } from './support/users';
import { waitFor } from './support/wait';

const order = (more: object = {}) => ({
  currency: 'EUR',
  items: [
    { sku: 'SKU-1', quantity: 2, unitPrice: 1250 },
    { sku: 'SKU-2', quantity: 1, unitPrice: 99 },
  ],
  ...more,
});

/** The order statements run so far: alone, with several creates, and those of several that failed. */
async function statementsRun(app: TestAppOnOwnDatabase) {
  const all = await metric(app, 'idempotency_create_batch_size_count');
  const alone = await metric(app, 'idempotency_create_batch_size_bucket{le="1"}');
  const failed = await metric(app, 'idempotency_create_batches_failed_total');
  return { alone, together: all - alone, failed };
}

/**
 * Creates that arrive while their kind's statement runs wait for it and are then written together,
 * in one statement (CREATE_CONCURRENCY). Here one statement at a time, held on purpose: a test
 * transaction inserts an order with a client reference, so the create with that reference waits on
 * the uncommitted unique-index entry, and the creates sent after it queue in the service.
 */
describe('orders created together (batched)', () => {
  let app: TestAppOnOwnDatabase; // these tests lock rows
  let ann: SignedUpUser;
  beforeAll(async () => {
    app = await startTestAppOnOwnDatabase({ CREATE_CONCURRENCY: '1' });
    ann = await signUpAndIn(app, 'Ann');
  });
  afterAll(() => app.close());

  const create = (payload: object, key: string) =>
    app.http.post('/api/orders').set(ann.auth).set('Idempotency-Key', key).send(payload);

  /**
   * Holds the statement of a create (answered once released), then queues `payloads` behind it,
   * under `keys` (new ones where none is given).
   */
  async function queuedBehindHeldCreate(
    payloads: object[],
    given: string[] = [],
    afterRelease: (answers: Promise<Response>[]) => Promise<void> = async () => undefined,
  ) {
    const reference = `held-${randomUUID()}`;
    const hold = await holdOrderReference(app.databaseUrl, ann.id, reference);
    const before = await statementsRun(app);
    try {
      const held = create(order({ clientReference: reference }), randomUUID()).then((r) => r);
      await blockedServiceBackend(hold.client);
      const keys = payloads.map((_, i) => given[i] ?? randomUUID());
      const queued = payloads.map((payload, i) => create(payload, keys[i]).then((r) => r));
      await waitFor(`${payloads.length} creates queued`, async () => {
        return (await metric(app, 'idempotency_creates_waiting')) === payloads.length;
      });
      await hold.release();
      await afterRelease(queued);
      const answers = await Promise.all(queued);
      const after = await statementsRun(app);
      const statements = {
        alone: after.alone - before.alone,
        together: after.together - before.together,
        failed: after.failed - before.failed,
      };
      return { held: await held, keys, answers, statements };
    } finally {
      await hold.release();
    }
  }

  it('writes the creates that queued in one transaction, each answered with its own order', async () => {
    const notes = [1, 2, 3, 4, 5].map((n) => `order ${n}`);
    const payloads = notes.map((note) => order({ note }));
    const { held, keys, answers, statements } = await queuedBehindHeldCreate(payloads);
    expect(statements).toEqual({ alone: 1, together: 1, failed: 0 }); // the held one, the five

    expect(held.status).toBe(201);
    expect(answers.map((answer) => [answer.status, answer.body.note])).toEqual(
      notes.map((note) => [201, note]),
    );
    const ids = answers.map((answer) => answer.body.id as string);
    expect(answers.map((answer) => answer.headers.location)).toEqual(
      ids.map((id) => `/api/orders/${id}`),
    );
    const [{ transactions }] = await app.dataSource.query(
      'SELECT count(DISTINCT xmin::text)::int AS transactions FROM orders WHERE id = ANY($1)',
      [ids],
    );
    expect(transactions).toBe(1);
    const stored = await app.dataSource.query(
      'SELECT note, total::int AS total FROM orders WHERE id = ANY($1) ORDER BY note',
      [ids],
    );
    expect(stored).toEqual(notes.map((note) => ({ note, total: 2599 }))); // each row's own values
    const items = await app.dataSource.query(
      'SELECT order_id, count(*)::int AS n FROM order_items WHERE order_id = ANY($1) GROUP BY order_id',
      [ids],
    );
    expect(items.map((row: { n: number }) => row.n)).toEqual([2, 2, 2, 2, 2]);
    const events: { subject: string; data: { id: string; note: string } }[] =
      await app.dataSource.query(
        `SELECT subject, data FROM (SELECT subject, type, data FROM events UNION ALL SELECT subject, type, data FROM events_pending) e
          WHERE type = 'order.created' AND subject = ANY($1) ORDER BY data->>'note'`,
        [ids],
      );
    // Each event carries its own order, as its answer sent it (the batch's stored answer).
    expect(events).toEqual(
      answers.map((answer) => ({ subject: answer.body.id, data: answer.body })),
    );

    for (const [i, key] of keys.entries()) {
      const replay = await create(payloads[i], key).expect(201);
      expect([replay.text, replay.headers['idempotent-replayed']]).toEqual([
        answers[i].text,
        'true',
      ]);
    }
  });

  it('runs each create alone when one of them fails the batch, so only that one is refused', async () => {
    const reference = `ref-${randomUUID()}`;
    const payloads = [
      order({ clientReference: reference }),
      order({ clientReference: reference }),
      order({ note: 'no reference' }),
    ];
    const { keys, answers, statements } = await queuedBehindHeldCreate(payloads);
    // The held create alone, the three together (failed), then each of them alone.
    expect(statements).toEqual({ alone: 4, together: 1, failed: 1 });

    const [first, second, third] = answers;
    expect([first.status, second.status].sort()).toEqual([201, 409]);
    expectProblem(
      [first, second].find((answer) => answer.status === 409)!,
      409,
      'order_reference_taken',
    );
    expect([third.status, third.body.note]).toEqual([201, 'no reference']);
    for (const [i, key] of keys.entries()) {
      const replay = await create(payloads[i], key);
      expect([replay.status, replay.text]).toEqual([answers[i].status, answers[i].text]);
    }
  });

  it('answers a retry and a reused key in a batch from their stored answers, writing nothing for them', async () => {
    const first = order({ note: 'first' });
    const [retried, reused] = [randomUUID(), randomUUID()];
    const original = await create(first, retried).expect(201);
    await create(first, reused).expect(201);
    const payloads = [first, order({ note: 'another request' }), order({ note: 'new' })];
    const { answers, statements } = await queuedBehindHeldCreate(payloads, [retried, reused]);
    expect(statements).toEqual({ alone: 1, together: 1, failed: 0 });
    const [retry, reuse, created] = answers;

    expect([retry.status, retry.text, retry.headers['idempotent-replayed']]).toEqual([
      201,
      original.text,
      'true',
    ]);
    expectProblem(reuse, 422, 'idempotency_key_reused');
    expect([created.status, created.body.note]).toEqual([201, 'new']);
    const notes = await app.dataSource.query(
      "SELECT note FROM orders WHERE user_id = $1 AND note IN ('first', 'another request', 'new')",
      [ann.id],
    );
    expect(notes.map((row: { note: string }) => row.note).sort()).toEqual([
      'first',
      'first',
      'new',
    ]);
  });

  it('takes over an expired key in a batch: a new order under it, its record replaced', async () => {
    const key = randomUUID();
    const old = await create(order({ note: 'before expiry' }), key).expect(201);
    // Expired, and not swept yet: the batch's claim finds the record and takes it over.
    await app.dataSource.query(
      `UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = $1`,
      [key],
    );
    const payloads = [order({ note: 'after expiry' }), order({ note: 'beside it' })];
    const { answers, statements } = await queuedBehindHeldCreate(payloads, [key]);
    expect(statements).toEqual({ alone: 1, together: 1, failed: 0 });
    const [taken] = answers;
    expect([taken.status, taken.body.note, taken.headers['idempotent-replayed']]).toEqual([
      201,
      'after expiry',
      undefined,
    ]);
    expect(taken.body.id).not.toBe(old.body.id);
    const records = await app.dataSource.query(
      `SELECT response_body, expires_at > now() AS live FROM idempotency_keys WHERE key = $1`,
      [key],
    );
    expect(records).toEqual([{ response_body: taken.text, live: true }]);
    await create(order({ note: 'after expiry' }), key)
      .expect(201)
      .expect('Idempotent-Replayed', 'true');
  });

  it('tries a key another transaction holds again, alone, and writes it once the key is free', async () => {
    const key = randomUUID();
    // The executor's advisory lock id for the key's scope (advisoryLockId in create-executor.ts).
    const scope = JSON.stringify([ann.id, 'POST', '/api/orders', key]);
    const lockId = createHash('sha256').update(scope).digest().readBigInt64BE(0).toString();
    const lock = await holdInTransaction(app.databaseUrl, 'SELECT pg_advisory_xact_lock($1)', [
      lockId,
    ]);
    try {
      const payloads = [order({ note: 'held key' }), order({ note: 'free key' })];
      const { answers, statements } = await queuedBehindHeldCreate(
        payloads,
        [key],
        async ([, free]) => {
          await free; // written by the batch, in which the held key was busy
          await lock.release();
        },
      );
      expect(answers.map((answer) => [answer.status, answer.body.note])).toEqual([
        [201, 'held key'],
        [201, 'free key'],
      ]);
      // The held create, the batch (which wrote the free key), then the held key's tries alone.
      expect(statements).toMatchObject({ together: 1, failed: 0 });
      expect(statements.alone).toBeGreaterThanOrEqual(2);
    } finally {
      await lock.release();
    }
  });
});
