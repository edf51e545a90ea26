import type { Caller } from '../auth/caller';
import { loadConfig } from '../config/app-config';
import type { PageWindow } from '../database/page-window';
import type { Transactions, Tx } from '../database/transactions';
import type { EventsRepository } from '../events/events.repository';
import type { NewEvent } from '../events/outbox';
import { HttpOutcome } from '../http/outcome';
import { ResourceUrls } from '../http/resource-urls';
import type { Executed } from '../idempotency/create-executor';
import { OrderResponse } from './dto/order.response';
import type { OrderFilter } from './order-filter';
import { OrdersService } from './orders.service';
import type { OrdersRepository } from './orders.repository';

/** What OrdersService's unit tests share: a caller, transaction stand-ins, orders, the service. */
export const ALICE: Caller = { userId: '01a20107-2a26-7789-8895-112b1f3fe80b' };
export const AUTOCOMMIT = { name: 'autocommit' } as unknown as Tx;
export const IN_TRANSACTION = { name: 'transaction' } as unknown as Tx;
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

export function order(n: number): OrderResponse {
  const at = new Date(Date.UTC(2026, 10, 21, 12, 0, n)).toISOString();
  const id = `01a20107-2a26-7789-8895-${String(n).padStart(12, '0')}`;
  return { ...sampleOrder, id, createdAt: at, updatedAt: at };
}

/** OrdersRepository in memory: what it was asked, and the orders it answers with. */
export class FakeOrders {
  readonly created: { order: OrderResponse; outcome: HttpOutcome; idempotent: unknown; tx?: Tx }[] =
    [];
  readonly asked: { method: string; args: unknown[] }[] = [];
  rows: OrderResponse[] = [];

  create(order: OrderResponse, outcome: HttpOutcome, idempotent: unknown, tx?: Tx) {
    this.created.push({ order, outcome, idempotent, tx });
    return Promise.resolve<Executed>({ outcome, replayed: false });
  }

  /** The first of `rows` as JSON text, as PostgreSQL renders it. */
  findOwnedJson(...args: [Tx, string, string]) {
    this.asked.push({ method: 'findOwnedJson', args });
    return Promise.resolve(this.rows.length ? JSON.stringify(this.rows[0]) : null);
  }

  /** `rows` as JSON text, each with its place in the list, as PostgreSQL renders them. */
  listOwnedJson(...args: [Tx, string, PageWindow, OrderFilter, string | undefined]) {
    this.asked.push({ method: 'listOwnedJson', args });
    return Promise.resolve(
      this.rows.map((row) => ({ json: JSON.stringify(row), id: row.id, createdAt: row.createdAt })),
    );
  }

  /** The first of `rows`, as the cancel finds it under the lock: its status and JSON text. */
  lockOwned(...args: [Tx, string, string]) {
    this.asked.push({ method: 'lockOwned', args });
    const [order] = this.rows;
    return Promise.resolve(order ? { status: order.status, json: JSON.stringify(order) } : null);
  }

  /** The first of `rows` cancelled at `at`, as JSON text; a cancelled one as it is. */
  cancelOwned(...args: [Tx, string, string, Date]) {
    this.asked.push({ method: 'cancelOwned', args });
    const [order] = this.rows;
    const cancelled = { ...order, status: 'cancelled', updatedAt: args[3].toISOString() };
    return Promise.resolve(JSON.stringify(order.status === 'cancelled' ? order : cancelled));
  }
}

export function setup(env: Record<string, string> = {}) {
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
