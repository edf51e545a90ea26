import { Injectable } from '@nestjs/common';
import { pageAfterCursor, PageWindow } from '../database/page-window';
import { run, statement, Statement } from '../database/statement';
import { Tx } from '../database/transactions';
import { HttpOutcome } from '../http/outcome';
import { CreateExecutor, Executed } from '../idempotency/create-executor';
import { createStatement, write } from '../idempotency/create-statement';
import { IdempotentRequest } from '../idempotency/idempotent-request';
import { JOB_SCHEMA } from '../jobs/job-schema';
import { filterValues, ORDER_FILTER_SQL } from '../orders/order-filter';
import { MAX_ATTEMPTS } from '../jobs/job-task';
import type { OrderExportResponse } from './dto/order-export.response';
import type { OrderExportStatus } from './order-export.entity';
import type { ExportedOrder, OrderPosition } from './order-csv';

/** The job that writes an export's CSV; its payload is `{exportId}`. */
export const EXPORT_TASK = 'orderExports.run';

/** An export as stored: the response's fields, with the CSV as a file id. */
export interface OrderExportRecord extends Omit<OrderExportResponse, 'file'> {
  userId: string;
  fileId: string | null;
}

interface ExportRow {
  id: string;
  user_id: string;
  status: OrderExportStatus;
  format: OrderExportRecord['format'];
  filter_status: OrderExportRecord['filter']['status'];
  created_from: Date | null;
  created_to: Date | null;
  row_count: number | null;
  file_id: string | null;
  error_code: string | null;
  error_detail: string | null;
  created_at: Date;
  updated_at: Date;
}

const EXPORT_COLUMNS = `id, user_id, status, format, filter_status, created_from, created_to, row_count, file_id,
          error_code, error_detail, created_at, updated_at`;

/**
 * How far back a user's exports count against the priority of their next one: long enough to
 * span a burst of requests and the runs it queues.
 */
const RECENT_EXPORTS = '10 minutes';
/** graphile-worker keeps a job's priority in a smallint; past this, a backlog is a backlog. */
const LOWEST_PRIORITY = 1000;

/**
 * The export and its job, written by the create executor's statement: a replay writes neither.
 * The job key makes adding the job for the same export again update it rather than add another.
 * Its priority is the number of exports its owner asked for in the last RECENT_EXPORTS (this one
 * aside: the statement does not see its own insert), and graphile-worker runs lower numbers
 * first: one user's burst of exports waits behind everyone else's first, and images (priority 0)
 * are not held up behind it.
 */
const CREATE = createStatement('OrderExportsRepository.create', [
  write(
    'inserted_export',
    `
     INSERT INTO order_exports (id, user_id, status, format, filter_status, created_from, created_to, created_at, updated_at)
     SELECT :id::uuid, :userId::uuid, 'queued', :format::text, :filterStatus::text,
            :createdFrom::timestamptz, :createdTo::timestamptz, :createdAt::timestamptz, :createdAt::timestamptz
       FROM claimed
     RETURNING id`,
  ),
  write(
    'export_job',
    `
     SELECT ${JOB_SCHEMA}.add_job('${EXPORT_TASK}', json_build_object('exportId', id),
              max_attempts := ${MAX_ATTEMPTS}, job_key := '${EXPORT_TASK}:' || id,
              priority := recent.exports)
       FROM inserted_export,
            (SELECT least(count(*), ${LOWEST_PRIORITY})::int AS exports
               FROM order_exports
              WHERE user_id = :userId::uuid
                AND created_at > :createdAt::timestamptz - interval '${RECENT_EXPORTS}') recent`,
  ),
]);

const FIND_OWNED = statement(
  'OrderExportsRepository.findOwned',
  `
   SELECT ${EXPORT_COLUMNS}
     FROM order_exports WHERE id = :id AND user_id = :userId`,
);

/** Newest first, strictly older than the cursor; served by order_exports_user_created_idx. */
const LIST_OWNED = statement(
  'OrderExportsRepository.listOwned',
  `
   SELECT ${EXPORT_COLUMNS}
     FROM order_exports
    WHERE order_exports.user_id = :userId${pageAfterCursor('order_exports')}`,
);

/** A run starts: a queued export, or one whose earlier run died. Finished exports stay as they are. */
const START = statement(
  'OrderExportsRepository.start',
  `
   UPDATE order_exports
      SET status = 'running', updated_at = CASE WHEN status = 'running' THEN updated_at ELSE :at::timestamptz END
    WHERE id = :id AND status IN ('queued', 'running')
   RETURNING ${EXPORT_COLUMNS}`,
);

/**
 * One page of the owner's orders that match the filter, newest first, strictly after `position`.
 * No bound is ever null (`filterValues` passes infinities for an open end, and the first page
 * starts after FIRST_POSITION, at infinity), so every condition is a range of
 * orders_user_created_idx, also in a generic plan; created_at goes back as text, with the
 * microseconds a JS Date would lose.
 */
const ORDER_PAGE = statement(
  'OrderExportsRepository.orderPage',
  `
   SELECT o.id, o.created_at, o.created_at::text AS position_at, o.status, o.currency, o.total,
          o.client_reference,
          (SELECT count(*) FROM order_items i WHERE i.order_id = o.id) AS item_count
     FROM orders o
    WHERE o.user_id = :userId${ORDER_FILTER_SQL}
      AND (o.created_at, o.id) < (:afterCreatedAt::timestamptz, :afterId::uuid)
    ORDER BY o.created_at DESC, o.id DESC
    LIMIT :limit`,
);

/**
 * Guarded: of two runs that both wrote a CSV, the second finds it succeeded and rolls back; a run
 * that finishes after the job gave up (another run's last failure) finds it failed, and does too.
 */
const SUCCEED = statement(
  'OrderExportsRepository.succeed',
  `
   UPDATE order_exports
      SET status = 'succeeded', row_count = :rowCount, file_id = :fileId::uuid,
          error_code = NULL, error_detail = NULL, updated_at = :at::timestamptz
    WHERE id = :id AND status IN ('queued', 'running')
   RETURNING ${EXPORT_COLUMNS}`,
);

const FAIL = statement(
  'OrderExportsRepository.fail',
  `
   UPDATE order_exports
      SET status = 'failed', error_code = :code, error_detail = :detail, updated_at = :at::timestamptz
    WHERE id = :id AND status IN ('queued', 'running')
   RETURNING ${EXPORT_COLUMNS}`,
);

interface OrderRow {
  id: string;
  created_at: Date;
  position_at: string;
  status: ExportedOrder['status'];
  currency: string;
  total: string;
  client_reference: string | null;
  item_count: string;
}

function toExportedOrder(row: OrderRow): ExportedOrder {
  return {
    id: row.id,
    createdAt: row.created_at,
    position: { at: row.position_at, id: row.id },
    status: row.status,
    currency: row.currency,
    total: row.total,
    clientReference: row.client_reference,
    itemCount: row.item_count,
  };
}

function toRecord(row: ExportRow): OrderExportRecord {
  return {
    id: row.id,
    userId: row.user_id,
    status: row.status,
    format: row.format,
    filter: {
      status: row.filter_status,
      createdFrom: row.created_from?.toISOString() ?? null,
      createdTo: row.created_to?.toISOString() ?? null,
    },
    rowCount: row.row_count,
    fileId: row.file_id,
    error: row.error_code ? { code: row.error_code, detail: row.error_detail ?? '' } : null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

const onlyRecord = (rows: ExportRow[]) => (rows.length ? toRecord(rows[0]) : null);

/** All SQL about exports: their rows, and the one read of the owner's orders that fills a CSV. */
@Injectable()
export class OrderExportsRepository {
  static readonly statements: Statement[] = [
    CREATE.keyed,
    CREATE.unkeyed,
    FIND_OWNED,
    LIST_OWNED,
    START,
    ORDER_PAGE,
    SUCCEED,
    FAIL,
  ];

  constructor(private readonly creates: CreateExecutor) {}

  /** The export and its job, with `outcome` stored under the key: all or nothing. */
  create(
    record: OrderExportRecord,
    outcome: HttpOutcome,
    idempotent: IdempotentRequest | null,
  ): Promise<Executed> {
    const values = {
      ...record,
      filterStatus: record.filter.status,
      createdFrom: record.filter.createdFrom,
      createdTo: record.filter.createdTo,
    };
    return this.creates.execute(idempotent, { statement: CREATE, values, outcome });
  }

  async findOwned(tx: Tx, userId: string, id: string): Promise<OrderExportRecord | null> {
    return onlyRecord(await run<ExportRow>(tx, FIND_OWNED, { id, userId }));
  }

  async listOwned(tx: Tx, userId: string, window: PageWindow): Promise<OrderExportRecord[]> {
    return (await run<ExportRow>(tx, LIST_OWNED, { userId, ...window })).map(toRecord);
  }

  /** Marks the export running; null when there is nothing to run (finished, or gone). */
  async start(tx: Tx, id: string, at: Date): Promise<OrderExportRecord | null> {
    return onlyRecord(await run<ExportRow>(tx, START, { id, at }));
  }

  async orderPage(
    tx: Tx,
    record: OrderExportRecord,
    after: OrderPosition,
    limit: number,
  ): Promise<ExportedOrder[]> {
    const rows = await run<OrderRow>(tx, ORDER_PAGE, {
      userId: record.userId,
      ...filterValues(record.filter),
      afterCreatedAt: after.at,
      afterId: after.id,
      limit,
    });
    return rows.map(toExportedOrder);
  }

  /** The export succeeded; null when an earlier run had already made it so. */
  async succeed(
    tx: Tx,
    id: string,
    rowCount: number,
    fileId: string,
    at: Date,
  ): Promise<OrderExportRecord | null> {
    return onlyRecord(await run<ExportRow>(tx, SUCCEED, { id, rowCount, fileId, at }));
  }

  /** The export failed; null when it had already finished. */
  async fail(
    tx: Tx,
    id: string,
    error: { code: string; detail: string },
    at: Date,
  ): Promise<OrderExportRecord | null> {
    return onlyRecord(await run<ExportRow>(tx, FAIL, { id, ...error, at }));
  }
}
