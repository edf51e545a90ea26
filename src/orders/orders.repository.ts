import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { pageAfterCursor, PageWindow } from '../database/page-window';
import { run, statement, Statement } from '../database/statement';
import { Transactions, Tx } from '../database/transactions';
import { Batches } from '../idempotency/create-batches';
import { batchedReads } from '../idempotency/statement-batches';
import { Metrics } from '../metrics/metrics';
import { CreateExecutor, Executed } from '../idempotency/create-executor';
import { IdempotentRequest } from '../idempotency/idempotent-request';
import { HttpOutcome } from '../http/outcome';
import type { RenderedItem } from '../http/pages';
import type { JsonBody } from '../http/responses';
import { OrderResponse } from './dto/order.response';
import { CREATE_ORDER, createValuesOf, ORDER_CONFLICTS } from './order-create-statement';
import { filterValues, ORDER_FILTER_SQL, OrderFilter } from './order-filter';
import { isoInstant, ORDER_JSON } from './order-representation';
import type { OrderStatus } from './order.entity';

/** An order as the cancel finds it under its row lock: its status, and the JSON its ETag is of. */
export interface LockedOrder {
  status: OrderStatus;
  json: JsonBody<OrderResponse>;
}

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

/** FIND_OWNED_JSON for many (id, owner) pairs: a row per pair, in their order, null where none. */
const FIND_MANY_OWNED_JSON = statement(
  'OrdersRepository.findManyOwnedJson',
  `
   SELECT (SELECT ${ORDER_JSON}
             FROM orders o WHERE o.id = r.id AND o.user_id = r.user_id) AS json
     FROM unnest(:ids::uuid[], :userIds::uuid[]) WITH ORDINALITY AS r(id, user_id, position)
    ORDER BY r.position`,
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

/** A get's order, as the owner asks for it. */
interface OwnedId {
  userId: string;
  id: string;
}

/** How the batched gets show on /metrics (see batchedReads). */
const GET_METRICS = {
  sizes: {
    name: 'orders_get_batch_size',
    help: 'Reads of orders by id, by the gets each carried.',
  },
  waiting: {
    name: 'orders_gets_waiting',
    help: 'Gets of an order waiting for a read of orders to finish, to be read in the next.',
  },
};

/** All SQL about orders. Every read and write is filtered by owner: another user's order does not exist. */
@Injectable()
export class OrdersRepository {
  static readonly statements: Statement[] = [
    CREATE_ORDER.keyed,
    CREATE_ORDER.unkeyed,
    CREATE_ORDER.many!,
    FIND_OWNED_JSON,
    FIND_MANY_OWNED_JSON,
    LIST_OWNED_JSON,
    LIST_OWNED_JSON_BY_REFERENCE,
    LOCK_OWNED,
    CANCEL_OWNED,
  ];

  /** Gets by id outside a transaction: one statement for those that arrive while one goes. */
  private readonly gets: Batches<OwnedId, JsonBody<OrderResponse> | null>;

  constructor(
    private readonly creates: CreateExecutor,
    transactions: Transactions,
    @Inject(APP_CONFIG) config: AppConfig,
    metrics: Metrics,
  ) {
    this.gets = batchedReads(
      {
        one: ({ userId, id }) => this.findOne(transactions.autocommit, userId, id),
        many: (owned) => this.findMany(transactions.autocommit, owned),
      },
      config,
      'order reads',
      { registry: metrics.registry, ...GET_METRICS },
    );
  }

  /** The order and its items, with `outcome` stored under the key: all or nothing. */
  create(
    order: OrderResponse,
    outcome: HttpOutcome,
    idempotent: IdempotentRequest | null,
    tx?: Tx,
  ): Promise<Executed> {
    const { values, row } = createValuesOf(order, outcome);
    return this.creates.execute(
      idempotent,
      { statement: CREATE_ORDER, values, row, outcome, conflicts: ORDER_CONFLICTS },
      tx,
    );
  }

  /**
   * The order as the JSON text its answer sends; null: no such order of the user's. Outside a
   * transaction (`tx.pool`: the autocommit Tx, whose pool the batch reads through), in a batch
   * with the gets that arrive while a read goes; in one (the create probe's), on its connection,
   * which alone sees the order it has not committed.
   */
  findOwnedJson(tx: Tx, userId: string, id: string): Promise<JsonBody<OrderResponse> | null> {
    return tx.pool ? this.gets.run({ userId, id }) : this.findOne(tx, userId, id);
  }

  private async findOne(tx: Tx, userId: string, id: string) {
    const rows = await run<{ json: string }>(tx, FIND_OWNED_JSON, { id, userId });
    return rows.length ? rows[0].json : null;
  }

  private async findMany(tx: Tx, owned: readonly OwnedId[]) {
    const rows = await run<{ json: string | null }>(tx, FIND_MANY_OWNED_JSON, {
      ids: owned.map((key) => key.id),
      userIds: owned.map((key) => key.userId),
    });
    return rows.map((row) => row.json);
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
