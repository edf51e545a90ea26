import { Injectable } from '@nestjs/common';
import type { Caller } from '../auth/caller';
import { Transactions, Tx } from '../database/transactions';
import { newId } from '../database/uuid';
import { EventsRepository } from '../events/events.repository';
import { etagOfJson } from '../http/etag';
import { createdOutcome } from '../http/outcome';
import { assertPreconditions, Preconditions } from '../http/preconditions';
import { pageWindow, RenderedPage, renderedPageOf } from '../http/pages';
import { NotFoundError } from '../http/problem';
import { ResourceUrls } from '../http/resource-urls';
import type { JsonBody } from '../http/responses';
import type { Executed } from '../idempotency/create-executor';
import type { IdempotentRequest } from '../idempotency/idempotent-request';
import { CreateOrderDto } from './dto/create-order.dto';
import { ListOrdersQuery } from './dto/list-orders.query';
import { OrderResponse } from './dto/order.response';
import { orderFilterOf } from './order-filter';
import { priceItems } from './order-pricing';
import { OrdersRepository } from './orders.repository';

@Injectable()
export class OrdersService {
  constructor(
    private readonly orders: OrdersRepository,
    private readonly transactions: Transactions,
    private readonly urls: ResourceUrls,
    private readonly events: EventsRepository,
  ) {}

  /**
   * A new pending order of the caller's, its ids and totals decided here, before any database
   * work; a retry under the same key gets the first answer back instead. `tx`: the synthetic
   * create probe's transaction.
   */
  create(
    caller: Caller,
    input: CreateOrderDto,
    idempotent: IdempotentRequest | null,
    tx?: Tx,
  ): Promise<Executed> {
    const now = new Date().toISOString();
    const { items, total } = priceItems(input.items);
    const order: OrderResponse = {
      id: newId(),
      userId: caller.userId,
      status: 'pending',
      currency: input.currency,
      items,
      total,
      clientReference: input.clientReference ?? null,
      note: input.note ?? null,
      createdAt: now,
      updatedAt: now,
    };
    const outcome = createdOutcome(this.urls.to(`/api/orders/${order.id}`), order);
    return this.orders.create(order, outcome, idempotent, tx);
  }

  async get(
    caller: Caller,
    id: string,
    tx = this.transactions.autocommit,
  ): Promise<JsonBody<OrderResponse>> {
    return this.found(await this.orders.findOwnedJson(tx, caller.userId, id));
  }

  /** 400 for a range that ends before it starts, or a cursor it did not make, before any read. */
  async list(caller: Caller, query: ListOrdersQuery): Promise<RenderedPage<OrderResponse>> {
    const filter = orderFilterOf(query);
    const window = pageWindow(query);
    const db = this.transactions.autocommit;
    const orders = await this.orders.listOwnedJson(
      db,
      caller.userId,
      window,
      filter,
      query.clientReference,
    );
    return renderedPageOf(orders, query.limit);
  }

  /**
   * Cancelling is idempotent: a cancelled order is returned as it is, and only the cancel that
   * changed it writes `order.cancelled`, in its transaction. If-Match is compared under the row
   * lock, so nothing can change the order between the check and the cancel. A cancelled order
   * is what any cancel asks for, so a stale If-Match does not refuse it: of two cancels sent with
   * a pending order's ETag (or one sent again after its answer was lost) the second waits for the
   * lock, then answers the order as the first left it.
   */
  cancel(
    caller: Caller,
    id: string,
    preconditions: Preconditions = {},
  ): Promise<JsonBody<OrderResponse>> {
    return this.transactions.run(async (tx) => {
      const current = this.found(await this.orders.lockOwned(tx, caller.userId, id));
      const cancelled = current.status === 'cancelled';
      assertPreconditions(preconditions, etagOfJson(current.json), cancelled);
      if (cancelled) return current.json; // nothing to write: the order as it is
      const order = await this.orders.cancelOwned(tx, caller.userId, id, new Date());
      await this.events.append(tx, {
        type: 'order.cancelled',
        owner: caller.userId,
        subject: id,
        data: order,
      });
      return order;
    });
  }

  private found<T>(order: T | null): T {
    if (order === null) throw new NotFoundError('order');
    return order;
  }
}
