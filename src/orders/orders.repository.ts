import { Injectable } from '@nestjs/common';
import { uniqueViolation } from '../database/database-errors';
import { GuardedWrite } from '../database/guarded-write';
import { queryPrepared } from '../database/prepared';
import { Tx } from '../database/transactions';
import { OrderCursor } from './order-cursor';
import { OrderItemResponse, OrderResponse } from './dto/order.response';
import { OrderReferenceTakenError } from './orders.errors';

interface OrderRow {
  id: string;
  user_id: string;
  status: OrderResponse['status'];
  currency: string;
  total: string;
  client_reference: string | null;
  note: string | null;
  created_at: Date;
  updated_at: Date;
  items: OrderItemResponse[];
}

/** Every column of the response, items aggregated in their original order: one round trip. */
const ORDER_COLUMNS = `o.id, o.user_id, o.status, o.currency, o.total, o.client_reference, o.note, o.created_at, o.updated_at,
  (SELECT json_agg(json_build_object('sku', i.sku, 'quantity', i.quantity, 'unitPrice', i.unit_price, 'lineTotal', i.line_total)
          ORDER BY i.position)
     FROM order_items i WHERE i.order_id = o.id) AS items`;

function toResponse(row: OrderRow): OrderResponse {
  return {
    id: row.id,
    userId: row.user_id,
    status: row.status,
    currency: row.currency,
    items: row.items,
    total: Number(row.total),
    clientReference: row.client_reference,
    note: row.note,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** All SQL about orders. Every read and write is filtered by owner: another user's order does not exist. */
@Injectable()
export class OrdersRepository {
  /** The order and all its items, as CTEs of the idempotency store's statement (or on their own). */
  insertion(order: OrderResponse): GuardedWrite {
    const column = <K extends keyof OrderItemResponse>(key: K) =>
      order.items.map((item) => item[key]);
    return {
      ctes: (params, guard) => `
        inserted_order AS (
          INSERT INTO orders (id, user_id, status, currency, total, client_reference, note, created_at, updated_at)
          SELECT ${params.add(order.id, 'uuid')}, ${params.add(order.userId, 'uuid')}, ${params.add(order.status, 'text')},
                 ${params.add(order.currency, 'text')}, ${params.add(order.total, 'bigint')},
                 ${params.add(order.clientReference, 'text')}, ${params.add(order.note, 'text')},
                 ${params.add(order.createdAt, 'timestamptz')}, ${params.add(order.updatedAt, 'timestamptz')}
            FROM ${guard}
          RETURNING id),
        inserted_items AS (
          INSERT INTO order_items (order_id, position, sku, quantity, unit_price, line_total)
          SELECT inserted_order.id, item.position, item.sku, item.quantity, item.unit_price, item.line_total
            FROM inserted_order,
                 unnest(${params.add(column('sku'), 'text[]')}, ${params.add(column('quantity'), 'integer[]')},
                        ${params.add(column('unitPrice'), 'bigint[]')}, ${params.add(column('lineTotal'), 'bigint[]')})
                   WITH ORDINALITY AS item(sku, quantity, unit_price, line_total, position))`,
      rejection: (error) =>
        uniqueViolation(error) === 'orders_user_client_reference_key'
          ? new OrderReferenceTakenError()
          : error,
    };
  }

  async findOwned(tx: Tx, userId: string, id: string): Promise<OrderResponse | null> {
    const rows = await queryPrepared<OrderRow>(
      tx,
      `SELECT ${ORDER_COLUMNS} FROM orders o WHERE o.id = $1 AND o.user_id = $2`,
      [id, userId],
    );
    return rows.length ? toResponse(rows[0]) : null;
  }

  /** Newest first, strictly older than `after`; served by orders_user_created_idx. */
  async listOwned(
    tx: Tx,
    userId: string,
    limit: number,
    after: OrderCursor | null,
  ): Promise<OrderResponse[]> {
    const rows = await queryPrepared<OrderRow>(
      tx,
      `SELECT ${ORDER_COLUMNS} FROM orders o
        WHERE o.user_id = $1 AND ($2::timestamptz IS NULL OR (o.created_at, o.id) < ($2::timestamptz, $3::uuid))
        ORDER BY o.created_at DESC, o.id DESC
        LIMIT $4`,
      [userId, after?.createdAt ?? null, after?.id ?? null, limit],
    );
    return rows.map(toResponse);
  }

  /** Cancels and returns the order; an already cancelled order comes back unchanged. */
  async cancelOwned(tx: Tx, userId: string, id: string, at: Date): Promise<OrderResponse | null> {
    const rows: OrderRow[] = await tx.manager.query(
      `WITH o AS (
         UPDATE orders
            SET status = 'cancelled', updated_at = CASE WHEN status = 'cancelled' THEN updated_at ELSE $3 END
          WHERE id = $1 AND user_id = $2
         RETURNING *)
       SELECT ${ORDER_COLUMNS} FROM o`,
      [id, userId, at],
    );
    return rows.length ? toResponse(rows[0]) : null;
  }
}
