import { Injectable } from '@nestjs/common';
import type { UniqueConflicts } from '../database/database-errors';
import { pageAfterCursor, PageWindow } from '../database/page-window';
import { run, statement, Statement } from '../database/statement';
import { Tx } from '../database/transactions';
import { CreateExecutor, Executed } from '../idempotency/create-executor';
import { createStatement, write } from '../idempotency/create-statement';
import { IdempotentRequest } from '../idempotency/idempotent-request';
import { HttpOutcome } from '../http/outcome';
import type { RenderedItem } from '../http/pages';
import type { JsonBody } from '../http/responses';
import { OrderResponse } from './dto/order.response';
import { filterValues, ORDER_FILTER_SQL, OrderFilter } from './order-filter';
import { isoInstant, ORDER_JSON } from './order-representation';
import type { OrderStatus } from './order.entity';
import {
  EVENT_COLUMNS,
  eventColumns,
  eventValues,
  eventWrite,
  eventWriteMany,
} from '../events/outbox';
import { OrderReferenceTakenError } from './orders.errors';

/** An order as the cancel finds it under its row lock: its status, and the JSON its ETag is of. */
export interface LockedOrder {
  status: OrderStatus;
  json: JsonBody<OrderResponse>;
}

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
const CREATE = createStatement(
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

/**
 * The order as JSON text, PostgreSQL's rendering of it (ORDER_JSON): a get sends it as it comes,
 * with no row to parse, map and serialize again.
 */
const FIND_OWNED_JSON = statement(
  'OrdersRepository.findOwnedJson',
  `
   SELECT ${ORDER_JSON} AS json
     FROM orders o WHERE o.id = :id AND o.user_id = :userId`,
);

/** A listed order as JSON text, and where a page that ends with it ends (see RenderedItem). */
const LISTED_ORDER = `${ORDER_JSON} AS json,
          o.id, ${isoInstant('o.created_at')} AS "createdAt"`;

/**
 * Those the filter names, newest first, strictly older than the cursor; served by
 * orders_user_created_idx (the instants are never null: see filterValues).
 */
const LIST_OWNED_JSON = statement(
  'OrdersRepository.listOwnedJson',
  `
   SELECT ${LISTED_ORDER}
     FROM orders o
    WHERE o.user_id = :userId${ORDER_FILTER_SQL}${pageAfterCursor('o')}`,
);

/**
 * The one order with a clientReference, if the filter and the cursor leave it: by the unique
 * orders_user_client_reference_key, never a scan of the user's orders.
 */
const LIST_OWNED_JSON_BY_REFERENCE = statement(
  'OrdersRepository.listOwnedJsonByReference',
  `
   SELECT ${LISTED_ORDER}
     FROM orders o
    WHERE o.user_id = :userId AND o.client_reference = :clientReference${ORDER_FILTER_SQL}${pageAfterCursor('o')}`,
);

/**
 * The order as it is, its row locked for its cancel: the whole representation, since If-Match is
 * compared with its ETag. Items never change, so the orders row is the one to lock.
 */
const LOCK_OWNED = statement(
  'OrdersRepository.lockOwned',
  `
   SELECT o.status, ${ORDER_JSON} AS json
     FROM orders o WHERE o.id = :id AND o.user_id = :userId
      FOR UPDATE OF o`,
);

/** An already cancelled order keeps its updated_at: cancelling again changes nothing. */
const CANCEL_OWNED = statement(
  'OrdersRepository.cancelOwned',
  `
   WITH o AS (
     UPDATE orders
        SET status = 'cancelled', updated_at = CASE WHEN status = 'cancelled' THEN updated_at ELSE :at::timestamptz END
      WHERE id = :id AND user_id = :userId
     RETURNING *)
   SELECT ${ORDER_JSON} AS json
     FROM o`,
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
const CONFLICTS: UniqueConflicts = new Map([
  ['orders_user_client_reference_key', OrderReferenceTakenError],
]);

/** All SQL about orders. Every read and write is filtered by owner: another user's order does not exist. */
@Injectable()
export class OrdersRepository {
  static readonly statements: Statement[] = [
    CREATE.keyed,
    CREATE.unkeyed,
    CREATE.many!,
    FIND_OWNED_JSON,
    LIST_OWNED_JSON,
    LIST_OWNED_JSON_BY_REFERENCE,
    LOCK_OWNED,
    CANCEL_OWNED,
  ];

  constructor(private readonly creates: CreateExecutor) {}

  /** The order and its items, with `outcome` stored under the key: all or nothing. */
  create(
    order: OrderResponse,
    outcome: HttpOutcome,
    idempotent: IdempotentRequest | null,
    tx?: Tx,
  ): Promise<Executed> {
    const items = {
      skus: order.items.map((item) => item.sku),
      quantities: order.items.map((item) => item.quantity),
      unitPrices: order.items.map((item) => item.unitPrice),
      lineTotals: order.items.map((item) => item.lineTotal),
    };
    const event = eventValues({ owner: order.userId, subject: order.id, data: outcome.body });
    const values = [order, items, event];
    const row = orderRow(order, items, event);
    return this.creates.execute(
      idempotent,
      { statement: CREATE, values, row, outcome, conflicts: CONFLICTS },
      tx,
    );
  }

  /** The order as the JSON text its answer sends; null: no such order of the user's. */
  async findOwnedJson(tx: Tx, userId: string, id: string): Promise<JsonBody<OrderResponse> | null> {
    const rows = await run<{ json: string }>(tx, FIND_OWNED_JSON, { id, userId });
    return rows.length ? rows[0].json : null;
  }

  /**
   * A page of the user's orders the filter names, as JSON text; only the one with
   * `clientReference`, if given.
   */
  listOwnedJson(
    tx: Tx,
    userId: string,
    window: PageWindow,
    filter: OrderFilter,
    clientReference?: string,
  ): Promise<RenderedItem<OrderResponse>[]> {
    const values = { userId, clientReference, ...window, ...filterValues(filter) };
    const query = clientReference === undefined ? LIST_OWNED_JSON : LIST_OWNED_JSON_BY_REFERENCE;
    return run<RenderedItem<OrderResponse>>(tx, query, values);
  }

  /**
   * The order, its row locked until `tx` ends: a concurrent cancel waits for it, then reads what
   * this one wrote. Null: no such order of the user's.
   */
  async lockOwned(tx: Tx, userId: string, id: string): Promise<LockedOrder | null> {
    const rows = await run<LockedOrder>(tx, LOCK_OWNED, { id, userId });
    return rows[0] ?? null;
  }

  /**
   * Cancels the order that `lockOwned` locked in `tx` (it exists, and nobody else can change it):
   * the order as it is now, as JSON text.
   */
  async cancelOwned(
    tx: Tx,
    userId: string,
    id: string,
    at: Date,
  ): Promise<JsonBody<OrderResponse>> {
    const [{ json }] = await run<{ json: JsonBody<OrderResponse> }>(tx, CANCEL_OWNED, {
      id,
      userId,
      at,
    });
    return json;
  }
}
