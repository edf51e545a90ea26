import { randomUUID } from 'node:crypto';
import { item, orderCalls, validOrder } from './support/orders';
import { startTestApp, TestApp } from './support/test-app';
import { expectProblem, SignedUpUser, withAnnAndBob } from './support/users';

describe('orders over HTTP', () => {
  let app: TestApp, ann: SignedUpUser, bob: SignedUpUser;
  beforeAll(async () => ([app, ann, bob] = await withAnnAndBob(startTestApp())));
  afterAll(() => app.close());

  const { create, ordersOf } = orderCalls(() => app);

  describe('POST /api/orders', () => {
    it('answers 201 with Location, ETag, no-store and the full order, totals computed by the service', async () => {
      const response = await create(ann, {
        ...validOrder(),
        clientReference: `ref-${randomUUID()}`,
      }).expect(201);
      expect(response.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        userId: ann.id,
        status: 'pending',
        currency: 'EUR',
        items: [
          { sku: 'SKU-1', quantity: 2, unitPrice: 1250, lineTotal: 2500 },
          { sku: 'SKU-2', quantity: 1, unitPrice: 99, lineTotal: 99 },
        ],
        total: 2599,
        clientReference: expect.stringMatching(/^ref-/),
        note: 'leave at the door',
        createdAt: expect.any(String),
        updatedAt: response.body.createdAt,
      });
      expect(response.headers.location).toBe(`/api/orders/${response.body.id}`);
      expect(response.headers.etag).toMatch(/^"[\w-]+"$/);
      expect(response.headers['cache-control']).toBe('no-store');

      const fetched = await app.http.get(response.headers.location).set(ann.auth).expect(200);
      expect(fetched.body).toEqual(response.body);
      expect(fetched.headers.etag).toBe(response.headers.etag);
    });

    it('returns null for an absent clientReference and note, and keeps the largest order exact', async () => {
      const largest = {
        currency: 'JPY',
        items: Array.from({ length: 100 }, (_, i) => item(`S${i}`, 10_000, 1_000_000_000)),
      };
      const response = await create(ann, largest).expect(201);
      expect(response.body).toMatchObject({ total: 1e15, clientReference: null, note: null });
      const [row] = await app.dataSource.query(
        'SELECT total::text AS total FROM orders WHERE id = $1',
        [response.body.id],
      );
      expect(row.total).toBe('1000000000000000');
    });

    it('needs a Bearer token (401) and an Idempotency-Key (400 idempotency_key_missing)', async () => {
      expectProblem(
        await app.http.post('/api/orders').set('Idempotency-Key', randomUUID()).send(validOrder()),
        401,
        'unauthorized',
      );
      const before = await ordersOf(ann);
      expectProblem(
        await app.http.post('/api/orders').set(ann.auth).send(validOrder()),
        400,
        'idempotency_key_missing',
      );
      expect(await ordersOf(ann)).toBe(before);
    });

    it.each([
      ['a lower-case currency', { currency: 'eur' }, 'currency'],
      ['a currency that is not ISO 4217', { currency: 'XYZ' }, 'currency'],
      ['no items', { items: [] }, 'items'],
      ['101 items', { items: Array.from({ length: 101 }, () => item('A', 1, 1)) }, 'items'],
      ['a zero quantity', { items: [item('A', 0, 1)] }, 'items.0.quantity'],
      ['a quantity over 10000', { items: [item('A', 10_001, 1)] }, 'items.0.quantity'],
      ['a fractional quantity', { items: [item('A', 1.5, 1)] }, 'items.0.quantity'],
      [
        'a quantity as a string',
        { items: [{ sku: 'A', quantity: '2', unitPrice: 1 }] },
        'items.0.quantity',
      ],
      ['a negative unit price', { items: [item('A', 1, -1)] }, 'items.0.unitPrice'],
      ['a fractional unit price', { items: [item('A', 1, 9.99)] }, 'items.0.unitPrice'],
      ['a unit price over 10^9', { items: [item('A', 1, 1_000_000_001)] }, 'items.0.unitPrice'],
      [
        'an unknown item field',
        { items: [{ ...item('A', 1, 1), discount: 5 }] },
        'items.0.discount',
      ],
      ['a blank sku', { items: [item('', 1, 1)] }, 'items.0.sku'],
      [
        'a clientReference over 128 characters',
        { clientReference: 'r'.repeat(129) },
        'clientReference',
      ],
      ['a note with a NUL character', { note: 'a\u0000b' }, 'note'],
      ['a note with an escape character', { note: 'a\u001b[31mb' }, 'note'],
      ['a note with a right-to-left override', { note: 'a\u202eb' }, 'note'],
      ['a note with a lone surrogate', { note: 'a\ud800b' }, 'note'],
      ['a server-owned id', { id: randomUUID() }, 'id'],
      ['a server-owned userId', { userId: randomUUID() }, 'userId'],
      ['a server-owned status', { status: 'cancelled' }, 'status'],
      ['a server-owned total', { total: 1 }, 'total'],
      ['a server-owned createdAt', { createdAt: new Date().toISOString() }, 'createdAt'],
      // Named like an Object.prototype member, which the full validation pass would not see.
      ['a field named toString', { toString: 'x' }, 'toString'],
      ['a field named constructor', { constructor: 'x' }, 'constructor'],
      [
        'an item field named hasOwnProperty',
        { items: [{ ...item('A', 1, 1), hasOwnProperty: 1 }] },
        'items.0.hasOwnProperty',
      ],
    ])('answers 400 validation_failed for %s and writes nothing', async (_case, change, field) => {
      const before = await ordersOf(bob);
      const response = await create(bob, { ...validOrder(), ...change });
      expectProblem(response, 400, 'validation_failed');
      expect(response.body.errors).toEqual(
        expect.arrayContaining([{ field, message: expect.any(String) }]),
      );
      expect(await ordersOf(bob)).toBe(before);
    });

    it("keeps a note's lines, tabs and any script as sent", async () => {
      const note = 'ring twice\r\n\tthen wait\u2028שלום, مرحبا 😀';
      const response = await create(bob, { ...validOrder(), note }).expect(201);
      expect(response.body.note).toBe(note);
    });

    it('answers 400 validation_failed for a body that is not well-formed UTF-8, and writes nothing', async () => {
      const before = await ordersOf(bob);
      const [head, tail] = JSON.stringify({ ...validOrder(), note: 'NOTE' }).split('NOTE');
      const body = Buffer.concat([Buffer.from(head), Buffer.from([0xff, 0xfe]), Buffer.from(tail)]);
      const response = await fetch(`${app.baseUrl}/api/orders`, {
        method: 'POST',
        headers: {
          ...bob.auth,
          'Idempotency-Key': randomUUID(),
          'Content-Type': 'application/json',
        },
        body, // the bytes as they are: supertest would send a Buffer as JSON
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({
        code: 'validation_failed',
        errors: [{ field: '', message: 'the body is not well-formed UTF-8' }],
      });
      expect(await ordersOf(bob)).toBe(before);
    });

    // A missing or mistyped value fails its bounds too; the answer names what is actually wrong.
    it.each([
      ['left-out items', { currency: 'EUR' }, 'items', 'items is required'],
      [
        'a quantity sent as a string',
        { currency: 'EUR', items: [{ sku: 'A', quantity: '1', unitPrice: 1 }] },
        'items.0.quantity',
        'quantity must be an integer number',
      ],
      [
        'a null clientReference',
        { ...validOrder(), clientReference: null },
        'clientReference',
        'clientReference must be a string',
      ],
      [
        'a currency sent as a number',
        { ...validOrder(), currency: 978 },
        'currency',
        'currency must be a string',
      ],
      ...[[], [item('A', 1, 1)], null, 'A'].map((value): [string, object, string, string] => [
        `an item that is ${JSON.stringify(value)}`,
        { currency: 'EUR', items: [item('A', 1, 1), value] },
        'items',
        'each value in items must be an object',
      ]),
    ])('refuses %s, naming the most basic rule it breaks', async (_case, body, field, message) => {
      const response = await create(bob, body);
      expectProblem(response, 400, 'validation_failed');
      expect(response.body.errors).toEqual([{ field, message }]);
    });
  });

  describe('idempotent creation', () => {
    it('replays the 201 (same body, Location, ETag, Idempotent-Replayed) and creates no second order', async () => {
      const key = randomUUID();
      const before = await ordersOf(ann);
      const first = await create(ann, validOrder(), key).expect(201);
      const retry = await create(ann, validOrder(), key).expect(201);
      expect(retry.text).toBe(first.text);
      expect(retry.headers.location).toBe(first.headers.location);
      expect(retry.headers.etag).toBe(first.headers.etag);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(await ordersOf(ann)).toBe(before + 1);
    });

    it('answers further retries of a retried key from memory, without the database', async () => {
      const key = randomUUID();
      const first = await create(ann, validOrder(), key).expect(201);
      const firstRetry = await create(ann, validOrder(), key).expect(201); // read from the table
      expect(firstRetry.headers['idempotent-replayed']).toBe('true'); // ... and now remembered
      const locker = app.dataSource.createQueryRunner();
      await locker.startTransaction();
      await locker.query('LOCK TABLE idempotency_keys IN ACCESS EXCLUSIVE MODE'); // any read would wait
      try {
        const retry = await create(ann, validOrder(), key).timeout(3_000);
        expect([retry.status, retry.text, retry.headers['idempotent-replayed']]).toEqual([
          201,
          first.text,
          'true',
        ]);
      } finally {
        await locker.rollbackTransaction();
        await locker.release();
      }
    });

    it('validates a retry whose body differs, as every replica would (400, not a stored answer)', async () => {
      const key = randomUUID();
      await create(ann, validOrder(), key).expect(201);
      expectProblem(
        await create(ann, { ...validOrder(), currency: 'EURO' }, key),
        400,
        'validation_failed',
      );
    });

    it('answers 422 idempotency_key_reused when the body changes under the same key', async () => {
      const key = randomUUID();
      await create(ann, validOrder(), key).expect(201);
      const before = await ordersOf(ann);
      expectProblem(
        await create(ann, { ...validOrder(), currency: 'USD' }, key),
        422,
        'idempotency_key_reused',
      );
      expect(await ordersOf(ann)).toBe(before);
    });

    it('creates one order for 50 concurrent creates with one key', async () => {
      const key = randomUUID();
      const before = await ordersOf(bob);
      const answers = await Promise.all(
        Array.from({ length: 50 }, () => create(bob, validOrder(), key)),
      );
      expect(answers.filter((answer) => answer.status >= 500)).toEqual([]);
      expect(new Set(answers.map((answer) => `${answer.status} ${answer.text}`)).size).toBe(1);
      expect(answers[0].status).toBe(201);
      expect(await ordersOf(bob)).toBe(before + 1);
    });

    it('lets two users use the same key for their own orders', async () => {
      const key = randomUUID();
      const [forAnn, forBob] = [
        await create(ann, validOrder(), key),
        await create(bob, validOrder(), key),
      ];
      expect([forAnn.status, forBob.status]).toEqual([201, 201]);
      expect(forBob.body.userId).toBe(bob.id);
      expect(forBob.headers['idempotent-replayed']).toBeUndefined();
    });
  });

  describe('clientReference', () => {
    it('answers 409 order_reference_taken for a second order with the reference, and replays that 409 under its key', async () => {
      const reference = `ref-${randomUUID()}`;
      await create(ann, { ...validOrder(), clientReference: reference }).expect(201);
      const key = randomUUID();
      const taken = await create(ann, { ...validOrder(), clientReference: reference }, key);
      expectProblem(taken, 409, 'order_reference_taken');
      const replay = await create(ann, { ...validOrder(), clientReference: reference }, key);
      expect([replay.status, replay.text, replay.headers['idempotent-replayed']]).toEqual([
        409,
        taken.text,
        'true',
      ]);
      const rows = await app.dataSource.query(
        'SELECT count(*) AS n FROM orders WHERE client_reference = $1',
        [reference],
      );
      expect(Number(rows[0].n)).toBe(1);
    });

    it('is unique per user only', async () => {
      const reference = `ref-${randomUUID()}`;
      await create(ann, { ...validOrder(), clientReference: reference }).expect(201);
      await create(bob, { ...validOrder(), clientReference: reference }).expect(201);
    });
  });
});
