import { OrderItemResponse, OrderResponse } from './dto/order.response';

// How the orders' statements read an order (table alias `o`): as a row that toResponse maps,
// where the order is changed in a transaction (the cancel), or as the JSON text an answer sends
// (ORDER_JSON, for the reads).

/** An order's row as ORDER_COLUMNS reads it. */
export interface OrderRow {
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
export const ORDER_COLUMNS = `o.id, o.user_id, o.status, o.currency, o.total, o.client_reference, o.note, o.created_at, o.updated_at,
          (SELECT json_agg(json_build_object('sku', i.sku, 'quantity', i.quantity, 'unitPrice', i.unit_price, 'lineTotal', i.line_total)
                  ORDER BY i.position)
             FROM order_items i WHERE i.order_id = o.id) AS items`;

export function toResponse(row: OrderRow): OrderResponse {
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

/**
 * An instant as `Date.prototype.toISOString` writes it (UTC, milliseconds, `Z`), for the years
 * 0000-9999 that both write with four digits: an order's instants come from the server's clock.
 */
export const isoInstant = (column: string) =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The order as JSON text, rendered by PostgreSQL byte for byte as JSON.stringify renders
 * toResponse's object (the same keys in the same order, compact, strings escaped alike), so a
 * get's ETag is the create's and the cancel's. row_to_json and array_to_json write no spaces
 * (json_build_object and json_agg do).
 */
export const ORDER_JSON = `(SELECT row_to_json(representation)::text
             FROM (SELECT o.id, o.user_id AS "userId", o.status, o.currency,
                          (SELECT array_to_json(array_agg(item ORDER BY i.position))
                             FROM order_items i,
                                  LATERAL (SELECT i.sku, i.quantity, i.unit_price AS "unitPrice",
                                                  i.line_total AS "lineTotal") item
                            WHERE i.order_id = o.id) AS items,
                          o.total, o.client_reference AS "clientReference", o.note,
                          ${isoInstant('o.created_at')} AS "createdAt",
                          ${isoInstant('o.updated_at')} AS "updatedAt") representation)`;
