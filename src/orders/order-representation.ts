// How the orders' statements read an order (table alias `o`): as the JSON text an answer sends, so
// every answer and event read from the database carries one rendering of it.

/**
 * An instant as `Date.prototype.toISOString` writes it (UTC, milliseconds, `Z`), for the years
 * 0000-9999 that both write with four digits: an order's instants come from the server's clock.
 */
export const isoInstant = (column: string) =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The order as JSON text, rendered by PostgreSQL byte for byte as JSON.stringify renders
 * the OrderResponse the create builds (the same keys in the same order, compact, strings escaped
 * alike), so a get's ETag is the create's. row_to_json and array_to_json write no spaces
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
