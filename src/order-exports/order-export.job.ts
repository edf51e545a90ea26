import { Injectable } from '@nestjs/common';
import { Transactions, Tx } from '../database/transactions';
import { EventsRepository } from '../events/events.repository';
import type { EventType } from '../events/outbox';
import { FileResponse } from '../files/dto/file.response';
import { FileResponses } from '../files/file-responses';
import { newId } from '../database/uuid';
import { NOTHING_DERIVED, StoredFile } from '../files/file.entity';
import { FilesRepository } from '../files/files.repository';
import { BlobStorage } from '../files/storage/blob-storage';
import { BlobStorages } from '../files/storage/blob-storages';
import type { JobRun, JobTask } from '../jobs/job-task';
import { CsvDigest, orderCsv, OrderPosition, orderPages } from './order-csv';
import { EXPORT_TASK, OrderExportRecord, OrderExportsRepository } from './order-exports.repository';
import { EXPORT_FAILED } from './order-exports.errors';
import { exportResponse } from './order-exports.service';

export interface ExportJobPayload {
  exportId: string;
}

/** Orders read per query: enough to make round trips cheap, few enough to keep memory flat. */
export const EXPORT_PAGE_SIZE = 1_000;

/** Thrown inside the finishing transaction to roll it back: the export already has its outcome. */
class AlreadyFinished extends Error {}

/**
 * Writes an export's CSV. A run can be repeated (a crash after the work, a runner taken for dead),
 * so it is idempotent: each run streams a new blob, and only the first to finish records it; any
 * later run rolls back its file row and deletes its blob. A run that dies mid-stream leaves at
 * most a blob no file references, which the files feature's orphan sweeper removes.
 */
@Injectable()
export class OrderExportJob implements JobTask<ExportJobPayload> {
  readonly name = EXPORT_TASK;

  constructor(
    private readonly exports: OrderExportsRepository,
    private readonly files: FilesRepository,
    private readonly storages: BlobStorages,
    private readonly transactions: Transactions,
    private readonly responses: FileResponses,
    private readonly events: EventsRepository,
  ) {}

  async run({ exportId }: ExportJobPayload, { signal }: JobRun): Promise<void> {
    const db = this.transactions.autocommit;
    const started = await this.exports.start(db, exportId, new Date());
    if (!started) return; // finished by an earlier run, or gone with its user
    const storage = this.storages.current;
    const blobId = newId();
    const readPage = (after: OrderPosition) =>
      this.exports.orderPage(db, started, after, EXPORT_PAGE_SIZE);
    const csv = orderCsv(orderPages(readPage, EXPORT_PAGE_SIZE, signal));
    await storage.write(blobId, csv.bytes);
    await this.finish(started, storage, blobId, csv.digest());
  }

  /** `error` is in the log already (the job runner's); the owner sees a stable code. */
  async gaveUp({ exportId }: ExportJobPayload, _error: Error): Promise<void> {
    await this.transactions.run(async (tx) => {
      const failed = await this.exports.fail(tx, exportId, EXPORT_FAILED, new Date());
      if (failed) await this.announce(tx, 'order_export.failed', failed, null);
    });
  }

  /** The export's event, its data the export as GET answers it, in the change's transaction. */
  private announce(
    tx: Tx,
    type: EventType,
    record: OrderExportRecord,
    file: FileResponse | null,
  ): Promise<void> {
    const data = JSON.stringify(exportResponse(record, file));
    return this.events.append(tx, { type, owner: record.userId, subject: record.id, data });
  }

  /** The file row and the export's success commit together, or neither does and the blob goes. */
  private async finish(
    started: OrderExportRecord,
    storage: BlobStorage,
    blobId: string,
    digest: CsvDigest,
  ) {
    const file = csvFile(started, storage, blobId, digest);
    try {
      await this.transactions.run(async (tx) => {
        await this.files.insertGenerated(tx, file);
        // A file of the caller's like any upload: announced as one, so that its file.deleted
        // later is not the first a consumer hears of it.
        const fileData = JSON.stringify(this.responses.of(file));
        await this.events.append(tx, {
          type: 'file.created',
          owner: file.userId,
          subject: file.id,
          data: fileData,
        });
        const succeeded = await this.exports.succeed(
          tx,
          started.id,
          digest.rowCount,
          file.id,
          file.createdAt,
        );
        if (!succeeded) throw new AlreadyFinished();
        await this.announce(tx, 'order_export.succeeded', succeeded, this.responses.of(file));
      });
    } catch (error) {
      // Unreferenced only: after a connection lost at COMMIT the file may exist after all.
      await storage.deleteUnreferenced(blobId).catch(() => undefined);
      if (!(error instanceof AlreadyFinished)) throw error;
    }
  }
}

function csvFile(
  started: OrderExportRecord,
  storage: BlobStorage,
  blobId: string,
  digest: CsvDigest,
): StoredFile {
  return {
    id: newId(),
    userId: started.userId,
    blobId,
    storage: storage.name,
    filename: `orders-${started.id}.csv`,
    contentType: 'text/csv', // as an uploaded CSV is stored; served with charset=utf-8
    size: digest.size,
    sha256: digest.sha256,
    createdAt: new Date(),
    status: 'ready',
    ...NOTHING_DERIVED,
  };
}
