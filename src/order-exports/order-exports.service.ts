import { Injectable } from '@nestjs/common';
import type { Caller } from '../auth/caller';
import { Transactions } from '../database/transactions';
import { newId } from '../database/uuid';
import { FileResponse } from '../files/dto/file.response';
import { FilesService } from '../files/files.service';
import { PageQuery } from '../http/dto/page.query';
import { acceptedOutcome } from '../http/outcome';
import { pageOf, pageWindow } from '../http/pages';
import { NotFoundError, ValidationFailedError } from '../http/problem';
import { ResourceUrls } from '../http/resource-urls';
import type { Executed } from '../idempotency/create-executor';
import type { IdempotentRequest } from '../idempotency/idempotent-request';
import { CreateOrderExportDto } from './dto/create-order-export.dto';
import {
  OrderExportFilter,
  OrderExportPageResponse,
  OrderExportResponse,
} from './dto/order-export.response';
import { OrderExportRecord, OrderExportsRepository } from './order-exports.repository';

/**
 * How long a client should wait before it looks at an export again: a small export is done within
 * about that, and a large one is not worth polling faster.
 */
export const EXPORT_RETRY_AFTER_SECONDS = 1;

/** Whether the export has reached its outcome: nothing about it will change any more. */
export const isFinished = (found: Pick<OrderExportResponse, 'status'>) =>
  found.status === 'succeeded' || found.status === 'failed';

@Injectable()
export class OrderExportsService {
  constructor(
    private readonly exports: OrderExportsRepository,
    private readonly files: FilesService,
    private readonly transactions: Transactions,
    private readonly urls: ResourceUrls,
  ) {}

  /**
   * A queued export of the caller's orders and its job, answered 202 with the export as its
   * status monitor; a retry under the same key gets the first answer back and adds no job.
   */
  async create(
    caller: Caller,
    input: CreateOrderExportDto,
    idempotent: IdempotentRequest | null,
  ): Promise<Executed> {
    const now = new Date().toISOString();
    const record: OrderExportRecord = {
      id: newId(),
      userId: caller.userId,
      status: 'queued',
      format: input.format,
      filter: filterOf(input),
      rowCount: null,
      fileId: null,
      error: null,
      createdAt: now,
      updatedAt: now,
    };
    const outcome = acceptedOutcome(
      this.urls.to(`/api/order-exports/${record.id}`),
      exportResponse(record, null),
      EXPORT_RETRY_AFTER_SECONDS,
    );
    return this.exports.create(record, outcome, idempotent);
  }

  async get(caller: Caller, id: string): Promise<OrderExportResponse> {
    const db = this.transactions.autocommit;
    const record = await this.exports.findOwned(db, caller.userId, id);
    if (!record) throw new NotFoundError('order export');
    return exportResponse(record, record.fileId ? await this.fileOf(caller, record.fileId) : null);
  }

  /** A page of the caller's exports, each with its CSV's file as `get` shows it. */
  async list(caller: Caller, query: PageQuery): Promise<OrderExportPageResponse> {
    const db = this.transactions.autocommit;
    const page = pageOf(
      await this.exports.listOwned(db, caller.userId, pageWindow(query)),
      query.limit,
    );
    const fileIds = page.data.flatMap((record) => (record.fileId ? [record.fileId] : []));
    const files = await this.files.getAmong(caller, fileIds);
    const fileOf = (record: OrderExportRecord) =>
      record.fileId ? (files.get(record.fileId) ?? null) : null;
    return { ...page, data: page.data.map((record) => exportResponse(record, fileOf(record))) };
  }

  /** The CSV's file resource, as the files feature shows it; null once its owner deleted it. */
  private async fileOf(caller: Caller, fileId: string): Promise<FileResponse | null> {
    return this.files.get(caller, fileId).catch((error: unknown) => {
      if (error instanceof NotFoundError) return null;
      throw error;
    });
  }
}

/** The earliest and latest instants a filter may name, in UTC: what the API's own form can write. */
const FIRST_INSTANT = new Date('0100-01-01T00:00:00Z');
const LAST_INSTANT = new Date('9999-12-31T23:59:59.999Z');

/**
 * The filter with its instants in the API's own form (UTC); 400 for an instant its offset moves
 * out of the years 0100-9999 (the pattern checks the year as written), and for a range that ends
 * before it starts.
 */
function filterOf({ status, createdFrom, createdTo }: CreateOrderExportDto): OrderExportFilter {
  const from = instantOf('createdFrom', createdFrom);
  const to = instantOf('createdTo', createdTo);
  if (from && to && from > to)
    throw new ValidationFailedError([
      { field: 'createdTo', message: 'createdTo must not be before createdFrom' },
    ]);
  return {
    status: status ?? null,
    createdFrom: from?.toISOString() ?? null,
    createdTo: to?.toISOString() ?? null,
  };
}

function instantOf(field: string, value: string | undefined): Date | null {
  if (value === undefined) return null;
  const instant = new Date(value);
  if (instant < FIRST_INSTANT || instant > LAST_INSTANT)
    throw new ValidationFailedError([
      {
        field,
        message: `${field} must be from ${FIRST_INSTANT.toISOString()} to ${LAST_INSTANT.toISOString()} in UTC`,
      },
    ]);
  return instant;
}

/** The export as GET answers it, and as its events carry it. */
export function exportResponse(
  record: OrderExportRecord,
  file: FileResponse | null,
): OrderExportResponse {
  return {
    id: record.id,
    status: record.status,
    format: record.format,
    filter: record.filter,
    rowCount: record.rowCount,
    file,
    error: record.error,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}
