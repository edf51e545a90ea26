import type { FastifyBaseLogger } from 'fastify';
import type { Caller } from '../auth/caller';
import { loadConfig } from '../config/app-config';
import type { Transactions, Tx } from '../database/transactions';
import type { EventsRepository } from '../events/events.repository';
import type { NewEvent } from '../events/outbox';
import { etagOf, etagOfJson } from '../http/etag';
import { HttpOutcome } from '../http/outcome';
import { NotFoundError, PreconditionFailedError, ValidationFailedError } from '../http/problem';
import { ResourceUrls } from '../http/resource-urls';
import type { Executed } from '../idempotency/create-executor';
import type { IdempotentRequest } from '../idempotency/idempotent-request';
import { CreateOrderDto, MAX_ITEMS, MAX_QUANTITY, MAX_UNIT_PRICE } from './dto/create-order.dto';
import { OrderResponse } from './dto/order.response';
import type { PageWindow } from '../database/page-window';
import { decodeCursor, encodeCursor } from '../http/pages';
import type { OrderFilter } from './order-filter';
import { OrdersService } from './orders.service';
import type { OrdersRepository } from './orders.repository';

const ALICE: Caller = { userId: '01a20107-2a26-7789-8895-112b1f3fe80b' };
const AUTOCOMMIT = { name: 'autocommit' } as unknown as Tx;
const IN_TRANSACTION = { name: 'transaction' } as unknown as Tx;
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const INPUT: CreateOrderDto = {
  currency: 'EUR',
  items: [
    { sku: 'A-1', quantity: 3, unitPrice: 10 }, // 3 × 0.10 + 0.29 is not exact as floats
    { sku: 'B-2', quantity: 1, unitPrice: 29 },
  ],
};

const sampleOrder: OrderResponse = {
  id: '',
  userId: ALICE.userId,
  status: 'pending',
  currency: 'EUR',
  items: [{ sku: 'A-1', quantity: 1, unitPrice: 5, lineTotal: 5 }],
  total: 5,
  clientReference: null,
  note: null,
  createdAt: '',
  updatedAt: '',
};

function order(n: number): OrderResponse {
  const at = new Date(Date.UTC(2026, 10, 21, 12, 0, n)).toISOString();
  const id = `01a20107-2a26-7789-8895-${String(n).padStart(12, '0')}`;
  return { ...sampleOrder, id, createdAt: at, updatedAt: at };
}

/** OrdersRepository in memory: what it was asked, and the orders it answers with. */
class FakeOrders {
  readonly created: { order: OrderResponse; outcome: HttpOutcome; idempotent: unknown; tx?: Tx }[] =
    [];
  readonly asked: { method: string; args: unknown[] }[] = [];
  rows: OrderResponse[] = [];

  create(order: OrderResponse, outcome: HttpOutcome, idempotent: unknown, tx?: Tx) {
    this.created.push({ order, outcome, idempotent, tx });
    return Promise.resolve<Executed>({ outcome, replayed: false });
  }

  findOwned(...args: [Tx, string, string]) {
    this.asked.push({ method: 'findOwned', args });
    return Promise.resolve(this.rows[0] ?? null);
  }

  listOwned(...args: [Tx, string, PageWindow, OrderFilter]) {
    this.asked.push({ method: 'listOwned', args });
    return Promise.resolve(this.rows);
  }

  /** The first of `rows`, as the cancel finds it under the lock. */
  lockOwned(...args: [Tx, string, string]) {
    this.asked.push({ method: 'lockOwned', args });
    return Promise.resolve(this.rows[0] ?? null);
  }

  /** The first of `rows` cancelled at `at`; a cancelled one as it is. */
  cancelOwned(...args: [Tx, string, string, Date]) {
    this.asked.push({ method: 'cancelOwned', args });
    const [order] = this.rows;
    const cancelled = { ...order, status: 'cancelled', updatedAt: args[3].toISOString() };
    return Promise.resolve(order.status === 'cancelled' ? order : cancelled);
  }
}

function setup(env: Record<string, string> = {}) {
  const orders = new FakeOrders();
  const transactions = {
    autocommit: AUTOCOMMIT,
    run: <T>(work: (tx: Tx) => Promise<T>) => work(IN_TRANSACTION),
  } as unknown as Transactions;
  const urls = new ResourceUrls(loadConfig(env));
  const appended: [Tx, NewEvent][] = [];
  const events = { append: (tx: Tx, event: NewEvent) => appended.push([tx, event]) };
  const service = new OrdersService(
    orders as unknown as OrdersRepository,
    transactions,
    urls,
    events as unknown as EventsRepository,
  );
  return { orders, service, appended };
}

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
    expect(await service.get(ALICE, order(1).id)).toEqual(order(1));
    expect(orders.asked).toEqual([
      { method: 'findOwned', args: [AUTOCOMMIT, ALICE.userId, order(1).id] },
    ]);
  });

  it('cancel locks the order by owner and id, cancels it now and writes order.cancelled, all in one transaction', async () => {
    const { orders, service, appended } = setup();
    orders.rows = [order(1)];
    const cancelled = await service.cancel(ALICE, order(1).id);
    expect(cancelled).toEqual({ ...order(1), status: 'cancelled', updatedAt: expect.any(String) });
    const where = [IN_TRANSACTION, ALICE.userId, order(1).id];
    expect(orders.asked.map(({ method, args }) => [method, ...args.slice(0, 3)])).toEqual([
      ['lockOwned', ...where],
      ['cancelOwned', ...where],
    ]);
    expect(Date.now() - (orders.asked[1].args[3] as Date).getTime()).toBeLessThan(5_000);
    expect(appended).toEqual([
      [
        IN_TRANSACTION,
        {
          type: 'order.cancelled',
          owner: ALICE.userId,
          subject: order(1).id,
          data: JSON.stringify(cancelled),
        },
      ],
    ]);
  });

  it('cancel of a cancelled order answers it as it is and writes no event', async () => {
    const { orders, service, appended } = setup();
    orders.rows = [{ ...order(1), status: 'cancelled' }];
    expect(await service.cancel(ALICE, order(1).id)).toEqual(orders.rows[0]);
    expect(appended).toEqual([]);
  });

  it.each([
    ['the current ETag', etagOf(order(1))],
    ['a list holding it', `"other", ${etagOf(order(1))}`],
    ['*', '*'],
  ])('cancel goes ahead when If-Match is %s', async (_case, ifMatch) => {
    const { orders, service, appended } = setup();
    orders.rows = [order(1)];
    expect((await service.cancel(ALICE, order(1).id, { ifMatch })).status).toBe('cancelled');
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
});

describe('OrdersService.list', () => {
  it('asks for one more than the page and gives a cursor to the older page when there is one', async () => {
    const { orders, service } = setup();
    orders.rows = [order(3), order(2), order(1)];
    const page = await service.list(ALICE, { limit: 2 });
    expect(orders.asked).toEqual([
      {
        method: 'listOwned',
        args: [
          AUTOCOMMIT,
          ALICE.userId,
          { limit: 3, afterCreatedAt: null, afterId: null },
          { status: null, createdFrom: null, createdTo: null },
        ],
      },
    ]);
    expect(page.data).toEqual([order(3), order(2)]);
    expect(decodeCursor(page.nextCursor!)).toEqual({
      createdAt: new Date(order(2).createdAt),
      id: order(2).id,
    });
  });

  it('answers no cursor on the last page', async () => {
    const { orders, service } = setup();
    orders.rows = [order(2), order(1)];
    expect(await service.list(ALICE, { limit: 2 })).toEqual({
      data: [order(2), order(1)],
      nextCursor: null,
    });
  });

  it('reads the page after the cursor it is given', async () => {
    const { orders, service } = setup();
    const after = { createdAt: new Date(order(5).createdAt), id: order(5).id };
    await service.list(ALICE, { limit: 20, cursor: encodeCursor(after) });
    expect(orders.asked[0].args).toEqual([
      AUTOCOMMIT,
      ALICE.userId,
      { limit: 21, afterCreatedAt: after.createdAt, afterId: after.id },
      { status: null, createdFrom: null, createdTo: null },
    ]);
  });

  it('reads the orders the filter names, its instants in UTC', async () => {
    const { orders, service } = setup();
    await service.list(ALICE, {
      limit: 20,
      status: 'cancelled',
      createdFrom: '2026-01-02T11:00:00+01:00',
      createdTo: '2026-01-03T00:00:00Z',
    });
    expect(orders.asked[0].args[3]).toEqual({
      status: 'cancelled',
      createdFrom: '2026-01-02T10:00:00.000Z',
      createdTo: '2026-01-03T00:00:00.000Z',
    });
  });

  it('answers 400 for a range that ends before it starts, without a read', async () => {
    const { orders, service } = setup();
    const error = await service
      .list(ALICE, {
        limit: 20,
        createdFrom: '2026-01-02T00:00:00Z',
        createdTo: '2026-01-01T00:00:00Z',
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationFailedError);
    expect(orders.asked).toEqual([]);
  });

  it('answers 400 for a cursor it did not make, without a read', async () => {
    const { orders, service } = setup();
    const error = await service
      .list(ALICE, { limit: 20, cursor: 'bm90IGEgY3Vyc29y' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationFailedError);
    expect(orders.asked).toEqual([]);
  });
});
