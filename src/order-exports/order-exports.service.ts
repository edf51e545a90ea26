import { Injectable } from '@nestjs/common';
import type { Caller } from '../auth/caller';
import { Transactions } from '../database/transactions';
import { newId } from '../database/uuid';
import type { FileResponse } from '../files/dto/file.response';
import { FilesService } from '../files/files.service';
import { PageQuery } from '../http/dto/page.query';
import { acceptedOutcome } from '../http/outcome';
import { pageOf, pageWindow } from '../http/pages';
import { NotFoundError } from '../http/problem';
import { ResourceUrls } from '../http/resource-urls';
import type { Executed } from '../idempotency/create-executor';
import type { IdempotentRequest } from '../idempotency/idempotent-request';
import { orderFilterOf } from '../orders/order-filter';
import { CreateOrderExportDto } from './dto/create-order-export.dto';
import { OrderExportPageResponse, OrderExportResponse } from './dto/order-export.response';
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
      filter: orderFilterOf(input),
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
    const [found] = await this.withFiles(caller, [record]);
    return found;
  }

  /** A page of the caller's exports, each as `get` shows it. */
  async list(caller: Caller, query: PageQuery): Promise<OrderExportPageResponse> {
    const db = this.transactions.autocommit;
    const records = await this.exports.listOwned(db, caller.userId, pageWindow(query));
    const page = pageOf(records, query.limit);
    return { ...page, data: await this.withFiles(caller, page.data) };
  }

  /**
   * The exports as the API shows them, each with its CSV's file as the files feature shows it
   * (null once its owner deleted it), all read at once; no read when none has a file.
   */
  private async withFiles(
    caller: Caller,
    records: OrderExportRecord[],
  ): Promise<OrderExportResponse[]> {
    const fileIds = records.flatMap((record) => (record.fileId ? [record.fileId] : []));
    const files = fileIds.length
      ? await this.files.getAmong(caller, fileIds)
      : new Map<string, FileResponse>();
    return records.map((record) =>
      exportResponse(record, record.fileId ? (files.get(record.fileId) ?? null) : null),
    );
  }
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
