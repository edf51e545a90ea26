import { Injectable } from '@nestjs/common';
import type { Caller } from '../auth/caller';
import { Transactions, Tx } from '../database/transactions';
import { newId } from '../database/uuid';
import { NotFoundError } from '../http/problem';
import { CreateOrderDto } from './dto/create-order.dto';
import { ListOrdersQuery } from './dto/list-orders.query';
import { OrderPageResponse, OrderResponse } from './dto/order.response';
import { decodeCursor, encodeCursor } from './order-cursor';
import { priceItems } from './order-pricing';
import { OrdersRepository } from './orders.repository';

@Injectable()
export class OrdersService {
  constructor(
    private readonly orders: OrdersRepository,
    private readonly transactions: Transactions,
  ) {}

  /**
   * Builds the whole order, ids and totals included, before writing it in one statement inside
   * the caller's transaction (the idempotency store's, so it commits with the key record).
   */
  async create(tx: Tx, caller: Caller, input: CreateOrderDto): Promise<OrderResponse> {
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
    await this.orders.insert(tx, order);
    return order;
  }

  async get(caller: Caller, id: string): Promise<OrderResponse> {
    return this.found(await this.orders.findOwned(this.transactions.autocommit, caller.userId, id));
  }

  async list(caller: Caller, { limit, cursor }: ListOrdersQuery): Promise<OrderPageResponse> {
    const after = cursor === undefined ? null : decodeCursor(cursor);
    // One extra row tells whether an older page exists without a count query.
    const rows = await this.orders.listOwned(
      this.transactions.autocommit,
      caller.userId,
      limit + 1,
      after,
    );
    const data = rows.slice(0, limit);
    const last = data[data.length - 1];
    const nextCursor =
      rows.length > limit
        ? encodeCursor({ createdAt: new Date(last.createdAt), id: last.id })
        : null;
    return { data, nextCursor };
  }

  /** Cancelling is idempotent: a cancelled order is returned as it is. */
  async cancel(caller: Caller, id: string): Promise<OrderResponse> {
    return this.found(
      await this.orders.cancelOwned(this.transactions.autocommit, caller.userId, id, new Date()),
    );
  }

  private found(order: OrderResponse | null): OrderResponse {
    if (!order) throw new NotFoundError('order');
    return order;
  }
}
