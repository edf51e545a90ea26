import { Injectable } from '@nestjs/common';
import type { Caller } from '../auth/caller';
import { GuardedWrite, runGuardedWrite } from '../database/guarded-write';
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
   * The whole new order, ids and totals included, and the write that inserts it: the idempotency
   * store writes it in the same statement as the key record.
   */
  planCreate(caller: Caller, input: CreateOrderDto): { order: OrderResponse; write: GuardedWrite } {
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
    return { order, write: this.orders.insertion(order) };
  }

  /** Inserts a new order inside `tx` (the synthetic create probe's). */
  async insert(tx: Tx, caller: Caller, input: CreateOrderDto): Promise<OrderResponse> {
    const { order, write } = this.planCreate(caller, input);
    await runGuardedWrite(tx, write);
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
