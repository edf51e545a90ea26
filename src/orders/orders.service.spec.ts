import type { FastifyBaseLogger } from 'fastify';
import type { Tx } from '../database/transactions';
import { etagOf, etagOfJson } from '../http/etag';
import { NotFoundError, PreconditionFailedError } from '../http/problem';
import type { IdempotentRequest } from '../idempotency/idempotent-request';
import { CreateOrderDto, MAX_ITEMS, MAX_QUANTITY, MAX_UNIT_PRICE } from './dto/create-order.dto';
import { ALICE, AUTOCOMMIT, IN_TRANSACTION, order, setup } from './orders.service.fixtures';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const INPUT: CreateOrderDto = {
  currency: 'EUR',
  items: [
    { sku: 'A-1', quantity: 3, unitPrice: 10 }, // 3 × 0.10 + 0.29 is not exact as floats
    { sku: 'B-2', quantity: 1, unitPrice: 29 },
  ],
};

/** Creates INPUT (with `more`) and answers what the repository was handed. */
async function created(more: Partial<CreateOrderDto> = {}, env?: Record<string, string>) {
  const { orders, service } = setup(env);
  await service.create(ALICE, { ...INPUT, ...more }, null);
  expect(orders.created).toHaveLength(1);
  return orders.created[0];
}

describe('OrdersService.create', () => {
  it('prices the items in integer minor units: each line, and the total', async () => {
    const { order } = await created();
    expect(order.items).toEqual([
      { sku: 'A-1', quantity: 3, unitPrice: 10, lineTotal: 30 },
      { sku: 'B-2', quantity: 1, unitPrice: 29, lineTotal: 29 },
    ]);
    expect(order.total).toBe(59);
  });

  it('prices the largest order the DTO allows exactly', async () => {
    const item = { sku: 'MAX', quantity: MAX_QUANTITY, unitPrice: MAX_UNIT_PRICE };
    const { order } = await created({ items: Array.from({ length: MAX_ITEMS }, () => item) });
    expect(order.total).toBe(10 ** 15);
    expect(order.items[0].lineTotal).toBe(10 ** 13);
  });

  it("makes a pending order of the caller's with a UUIDv7 id, null reference and note by default", async () => {
    const { order } = await created();
    expect(order).toMatchObject({
      userId: ALICE.userId,
      status: 'pending',
      currency: 'EUR',
      clientReference: null,
      note: null,
    });
    expect(order.id).toMatch(UUID_V7);
    expect(order.updatedAt).toBe(order.createdAt);
    expect(new Date(order.createdAt).toISOString()).toBe(order.createdAt);
  });

  it('keeps the client reference and note it is given', async () => {
    const { order } = await created({ clientReference: 'PO-7', note: 'ring twice' });
    expect(order).toMatchObject({ clientReference: 'PO-7', note: 'ring twice' });
  });

  it('answers 201 with Location, an ETag of the body, and the order handed to the repository as the body', async () => {
    const { order, outcome } = await created();
    expect(outcome.status).toBe(201);
    expect(outcome.headers.Location).toBe(`/api/orders/${order.id}`);
    expect(outcome.headers.ETag).toBe(etagOfJson(outcome.body));
    expect(outcome.body).toBe(JSON.stringify(order));
    expect(JSON.parse(outcome.body)).toEqual(order);
  });

  it('makes Location absolute under PUBLIC_BASE_URL', async () => {
    const { order, outcome } = await created({}, { PUBLIC_BASE_URL: 'https://shop.example/' });
    expect(outcome.headers.Location).toBe(`https://shop.example/api/orders/${order.id}`);
  });

  it("passes the idempotent request and the caller's transaction through, and answers the repository's result", async () => {
    const { orders, service } = setup();
    const idempotent = {
      scope: {},
      request: {},
      log: {} as FastifyBaseLogger,
    } as IdempotentRequest;
    const tx = { name: 'probe' } as unknown as Tx;
    const executed = await service.create(ALICE, INPUT, idempotent, tx);
    expect(orders.created[0]).toMatchObject({ idempotent, tx });
    expect(executed).toEqual({ outcome: orders.created[0].outcome, replayed: false });
  });

  it('gives each order an id of its own', async () => {
    const { orders, service } = setup();
    await service.create(ALICE, INPUT, null);
    await service.create(ALICE, INPUT, null);
    expect(orders.created[0].order.id).not.toBe(orders.created[1].order.id);
  });
});

describe('OrdersService.get and cancel', () => {
  it.each(['get', 'cancel'] as const)(
    '%s answers 404 for an order the caller does not own',
    async (method) => {
      const { service } = setup();
      const error = await service[method](ALICE, order(1).id).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotFoundError);
      expect(error).toMatchObject({ status: 404 });
    },
  );

  it('get reads the order by owner and id', async () => {
    const { orders, service } = setup();
    orders.rows = [order(1)];
    expect(await service.get(ALICE, order(1).id)).toBe(JSON.stringify(order(1)));
    expect(orders.asked).toEqual([
      { method: 'findOwnedJson', args: [AUTOCOMMIT, ALICE.userId, order(1).id] },
    ]);
  });

  it('cancel locks the order by owner and id, cancels it now and writes order.cancelled, all in one transaction', async () => {
    const { orders, service, appended } = setup();
    orders.rows = [order(1)];
    const cancelled = await service.cancel(ALICE, order(1).id);
    const where = [IN_TRANSACTION, ALICE.userId, order(1).id];
    expect(orders.asked.map(({ method, args }) => [method, ...args.slice(0, 3)])).toEqual([
      ['lockOwned', ...where],
      ['cancelOwned', ...where],
    ]);
    const at = orders.asked[1].args[3] as Date;
    expect(Date.now() - at.getTime()).toBeLessThan(5_000);
    expect(JSON.parse(cancelled)).toEqual({
      ...order(1),
      status: 'cancelled',
      updatedAt: at.toISOString(),
    });
    expect(appended).toEqual([
      [
        IN_TRANSACTION,
        {
          type: 'order.cancelled',
          owner: ALICE.userId,
          subject: order(1).id,
          data: cancelled,
        },
      ],
    ]);
  });

  it('cancel of a cancelled order answers it as it is, writing nothing', async () => {
    const { orders, service, appended } = setup();
    orders.rows = [{ ...order(1), status: 'cancelled' }];
    expect(await service.cancel(ALICE, order(1).id)).toBe(JSON.stringify(orders.rows[0]));
    expect(orders.asked.map(({ method }) => method)).toEqual(['lockOwned']); // no UPDATE
    expect(appended).toEqual([]);
  });

  it.each([
    ['the current ETag', etagOf(order(1))],
    ['a list holding it', `"other", ${etagOf(order(1))}`],
    ['*', '*'],
  ])('cancel goes ahead when If-Match is %s', async (_case, ifMatch) => {
    const { orders, service, appended } = setup();
    orders.rows = [order(1)];
    const cancelled = await service.cancel(ALICE, order(1).id, { ifMatch });
    expect(JSON.parse(cancelled)).toMatchObject({ status: 'cancelled' });
    expect(appended).toHaveLength(1);
  });

  it.each([
    ['another ETag', '"other"'],
    ['the current ETag made weak', `W/${etagOf(order(1))}`],
  ])(
    'cancel answers 412 when If-Match is %s, checked under the lock, and changes nothing',
    async (_case, ifMatch) => {
      const { orders, service, appended } = setup();
      orders.rows = [order(1)];
      const error = await service.cancel(ALICE, order(1).id, { ifMatch }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PreconditionFailedError);
      expect(error).toMatchObject({ status: 412 });
      expect(orders.asked.map(({ method }) => method)).toEqual(['lockOwned']); // no cancel
      expect(appended).toEqual([]);
    },
  );

  it('cancel of a cancelled order answers it under a stale If-Match: the cancel it asks for is done', async () => {
    const { orders, service, appended } = setup();
    orders.rows = [{ ...order(1), status: 'cancelled' }];
    const again = await service.cancel(ALICE, order(1).id, { ifMatch: etagOf(order(1)) });
    expect(again).toBe(JSON.stringify(orders.rows[0]));
    expect(orders.asked.map(({ method }) => method)).toEqual(['lockOwned']);
    expect(appended).toEqual([]);
  });

  it('cancel of a cancelled order still answers 412 when If-None-Match holds', async () => {
    const { orders, service } = setup();
    orders.rows = [{ ...order(1), status: 'cancelled' }];
    const ifNoneMatch = etagOf(orders.rows[0]);
    const error = await service.cancel(ALICE, order(1).id, { ifNoneMatch }).catch((e) => e);
    expect(error).toBeInstanceOf(PreconditionFailedError);
  });
});
