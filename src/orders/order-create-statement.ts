// The order create's statement (written by the create executor, alone or many at once) and the
// values it binds, as OrdersRepository.create runs it; its SQL is in sql/orders.sql.
import type { UniqueConflicts } from '../database/database-errors';
import {
  EVENT_COLUMNS,
  eventColumns,
  eventValues,
  eventWrite,
  eventWriteMany,
} from '../events/outbox';
import type { HttpOutcome } from '../http/outcome';
import { createStatement, write } from '../idempotency/create-statement';
import { OrderResponse } from './dto/order.response';
import { OrderReferenceTakenError } from './orders.errors';

/** A create's columns in the batched statement, from `orderRow`. */
const ORDER_COLUMNS_MANY = `id uuid, user_id uuid, status text, currency text, total bigint, client_reference text,
      note text, created_at timestamptz, updated_at timestamptz,
      skus text[], quantities integer[], unit_prices bigint[], line_totals bigint[], ${EVENT_COLUMNS}`;

/** An order per claimed create, its values given as SQL expressions; `returningId` for the items. */
function orderInsert(name: string, values: string, returningId = false) {
  return write(
    name,
    `
     INSERT INTO orders (id, user_id, status, currency, total, client_reference, note, created_at, updated_at)
     SELECT ${values}
       FROM claimed${returningId ? '\n     RETURNING id' : ''}`,
  );
}

/** The items of each order in `from` (its `id`), from four arrays given as SQL expressions. */
function itemsInsert(from: string, arrays: string) {
  return write(
    'inserted_items',
    `
     INSERT INTO order_items (order_id, position, sku, quantity, unit_price, line_total)
     SELECT ${from}.id, item.position, item.sku, item.quantity, item.unit_price, item.line_total
       FROM ${from},
            unnest(${arrays})
              WITH ORDINALITY AS item(sku, quantity, unit_price, line_total, position)`,
  );
}

/** The orders and all their items of many creates at once (see ManyWrites). */
const CREATE_MANY = {
  columns: ORDER_COLUMNS_MANY,
  writes: [
    orderInsert(
      'inserted_orders',
      'id, user_id, status, currency, total, client_reference, note, created_at, updated_at',
    ),
    itemsInsert(
      'claimed',
      'claimed.skus, claimed.quantities, claimed.unit_prices, claimed.line_totals',
    ),
    eventWriteMany('order.created', 'claimed'),
  ],
};

/** The order and all its items, written by the create executor's statement. */
export const CREATE_ORDER = createStatement(
  'OrdersRepository.create',
  [
    orderInsert(
      'inserted_order',
      `:id::uuid, :userId::uuid, :status::text, :currency::text, :total::bigint,
            :clientReference::text, :note::text, :createdAt::timestamptz, :updatedAt::timestamptz`,
      true,
    ),
    itemsInsert(
      'inserted_order',
      ':skus::text[], :quantities::integer[], :unitPrices::bigint[], :lineTotals::bigint[]',
    ),
    eventWrite('order.created', 'inserted_order'),
  ],
  CREATE_MANY,
);

/** The create as ORDER_COLUMNS_MANY names its values. */
function orderRow(
  order: OrderResponse,
  items: { skus: string[]; quantities: number[]; unitPrices: number[]; lineTotals: number[] },
  event: ReturnType<typeof eventValues>,
) {
  return {
    id: order.id,
    user_id: order.userId,
    status: order.status,
    currency: order.currency,
    total: order.total,
    client_reference: order.clientReference,
    note: order.note,
    created_at: order.createdAt,
    updated_at: order.updatedAt,
    skus: items.skus,
    quantities: items.quantities,
    unit_prices: items.unitPrices,
    line_totals: items.lineTotals,
    ...eventColumns(event),
  };
}

/** A reference the service's own check saw free, taken by a create that committed first. */
export const ORDER_CONFLICTS: UniqueConflicts = new Map([
  ['orders_user_client_reference_key', OrderReferenceTakenError],
]);

/** CREATE_ORDER's values (its items as four arrays, its event), and its row for the batched form. */
export function createValuesOf(order: OrderResponse, outcome: HttpOutcome) {
  const items = {
    skus: order.items.map((item) => item.sku),
    quantities: order.items.map((item) => item.quantity),
    unitPrices: order.items.map((item) => item.unitPrice),
    lineTotals: order.items.map((item) => item.lineTotal),
  };
  const event = eventValues({ owner: order.userId, subject: order.id, data: outcome.body });
  return { values: [order, items, event], row: orderRow(order, items, event) };
}
