import { Injectable } from '@nestjs/common';
import { pageAfterCursor, PageWindow } from '../database/page-window';
import { run, statement, Statement } from '../database/statement';
import { Tx } from '../database/transactions';
import { HttpOutcome } from '../http/outcome';
import { CreateExecutor, Executed } from '../idempotency/create-executor';
import { createStatement, write } from '../idempotency/create-statement';
import { IdempotentRequest } from '../idempotency/idempotent-request';
import { eventValues, eventWrite } from '../events/outbox';
import { MAX_ATTEMPTS } from '../jobs/job-task';
import { StoredFile } from './file.entity';

interface FileRow {
  id: string;
  user_id: string;
  blob_id: string;
  storage: StoredFile['storage'];
  filename: string;
  content_type: string;
  size: string;
  sha256: string;
  created_at: Date;
  status: StoredFile['status'];
  width: number | null;
  height: number | null;
  thumbnail_blob_id: string | null;
  thumbnail_size: number | null;
  error_code: string | null;
  error_detail: string | null;
}

/** The job that reads an image's dimensions and writes its thumbnail (ImageProcessing). */
export const PROCESS_IMAGE = 'files.processImage';

const FILE_COLUMNS = `id, user_id, blob_id, storage, filename, content_type, size, sha256, created_at,
          status, width, height, thumbnail_blob_id, thumbnail_size, error_code, error_detail`;

/**
 * The file's metadata row, written by the create executor's statement (its blob is stored
 * already), and for an image the job that processes it: a file never waits for a job that was
 * not added, and a replay adds none.
 */
const CREATE = createStatement('FilesRepository.create', [
  write(
    'inserted_file',
    `
     INSERT INTO files (id, user_id, blob_id, storage, filename, content_type, size, sha256, created_at, status)
     SELECT :id::uuid, :userId::uuid, :blobId::uuid, :storage::text, :filename::text,
            :contentType::text, :size::bigint, :sha256::text, :createdAt::timestamptz, :status::text
       FROM claimed
     RETURNING id, status`,
  ),
  eventWrite('file.created', 'inserted_file'),
  write(
    'image_job',
    `
     SELECT graphile_worker.add_job('${PROCESS_IMAGE}', json_build_object('fileId', id),
                                    max_attempts := ${MAX_ATTEMPTS},
                                    job_key := '${PROCESS_IMAGE}:' || id)
       FROM inserted_file WHERE status = 'processing'`,
  ),
]);

/** A file the service made itself (an export's CSV), in its maker's transaction. */
const INSERT_GENERATED = statement(
  'FilesRepository.insertGenerated',
  `
   INSERT INTO files (id, user_id, blob_id, storage, filename, content_type, size, sha256, created_at, status)
   VALUES (:id::uuid, :userId::uuid, :blobId::uuid, :storage::text, :filename::text,
           :contentType::text, :size::bigint, :sha256::text, :createdAt::timestamptz, 'ready')`,
);

const FIND_OWNED = statement(
  'FilesRepository.findOwned',
  `
   SELECT ${FILE_COLUMNS} FROM files WHERE id = :id AND user_id = :userId`,
);

/** Those of `ids` that are the user's; the others are not there. */
const FIND_OWNED_AMONG = statement(
  'FilesRepository.findOwnedAmong',
  `
   SELECT ${FILE_COLUMNS} FROM files WHERE id = ANY(:ids::uuid[]) AND user_id = :userId`,
);

/** Newest first, strictly older than the cursor; served by files_user_created_idx. */
const LIST_OWNED = statement(
  'FilesRepository.listOwned',
  `
   SELECT ${FILE_COLUMNS}
     FROM files
    WHERE files.user_id = :userId${pageAfterCursor('files')}`,
);

/** For background work, which acts for the owner and has no caller. */
const FIND = statement(
  'FilesRepository.find',
  `
   SELECT ${FILE_COLUMNS} FROM files WHERE id = :id`,
);

/** Only a file still processing changes: a second run of the job finds it done and changes nothing. */
const MARK_READY = statement(
  'FilesRepository.markReady',
  `
   UPDATE files
      SET status = 'ready', width = :width, height = :height,
          thumbnail_blob_id = :thumbnailBlobId, thumbnail_size = :thumbnailSize
    WHERE id = :id AND status = 'processing'
   RETURNING ${FILE_COLUMNS}`,
);

const MARK_FAILED = statement(
  'FilesRepository.markFailed',
  `
   UPDATE files SET status = 'failed', error_code = :code, error_detail = :detail
    WHERE id = :id AND status = 'processing'
   RETURNING ${FILE_COLUMNS}`,
);

/** The file as it is, its row locked until the transaction ends (a conditional delete's check). */
const LOCK_OWNED = statement(
  'FilesRepository.lockOwned',
  `
   SELECT ${FILE_COLUMNS} FROM files WHERE id = :id AND user_id = :userId
      FOR UPDATE`,
);

const DELETE_OWNED = statement(
  'FilesRepository.deleteOwned',
  `
   DELETE FROM files WHERE id = :id AND user_id = :userId
   RETURNING ${FILE_COLUMNS}`,
);

function toFile(row: FileRow): StoredFile {
  return {
    id: row.id,
    userId: row.user_id,
    blobId: row.blob_id,
    storage: row.storage,
    filename: row.filename,
    contentType: row.content_type,
    size: Number(row.size),
    sha256: row.sha256,
    createdAt: row.created_at,
    status: row.status,
    width: row.width,
    height: row.height,
    thumbnailBlobId: row.thumbnail_blob_id,
    thumbnailSize: row.thumbnail_size,
    errorCode: row.error_code,
    errorDetail: row.error_detail,
  };
}

export type ProcessedImage = Pick<
  StoredFile,
  'width' | 'height' | 'thumbnailBlobId' | 'thumbnailSize'
>;

/** All SQL about file metadata; requests' reads and deletes are always filtered by owner. */
@Injectable()
export class FilesRepository {
  static readonly statements: Statement[] = [
    CREATE.keyed,
    CREATE.unkeyed,
    INSERT_GENERATED,
    FIND_OWNED,
    FIND_OWNED_AMONG,
    LIST_OWNED,
    FIND,
    MARK_READY,
    MARK_FAILED,
    LOCK_OWNED,
    DELETE_OWNED,
  ];

  constructor(private readonly creates: CreateExecutor) {}

  /** The file's row (and an image's job), with `outcome` stored under the key: all or nothing. */
  create(
    file: StoredFile,
    outcome: HttpOutcome,
    idempotent: IdempotentRequest | null,
  ): Promise<Executed> {
    const event = eventValues({ owner: file.userId, subject: file.id, data: outcome.body });
    return this.creates.execute(idempotent, {
      statement: CREATE,
      values: [file, event],
      outcome,
    });
  }

  /** The row of a file whose blob is stored already, in `tx`: another feature's transaction. */
  async insertGenerated(tx: Tx, file: StoredFile): Promise<void> {
    await run(tx, INSERT_GENERATED, file);
  }

  async findOwned(tx: Tx, userId: string, id: string): Promise<StoredFile | null> {
    return this.first(await run<FileRow>(tx, FIND_OWNED, { id, userId }));
  }

  async findOwnedAmong(tx: Tx, userId: string, ids: string[]): Promise<StoredFile[]> {
    return (await run<FileRow>(tx, FIND_OWNED_AMONG, { userId, ids })).map(toFile);
  }

  async listOwned(tx: Tx, userId: string, window: PageWindow): Promise<StoredFile[]> {
    return (await run<FileRow>(tx, LIST_OWNED, { userId, ...window })).map(toFile);
  }

  async find(tx: Tx, id: string): Promise<StoredFile | null> {
    return this.first(await run<FileRow>(tx, FIND, { id }));
  }

  /** The file made ready; null when it was no longer processing (done by an earlier run, or deleted). */
  async markReady(tx: Tx, id: string, image: ProcessedImage): Promise<StoredFile | null> {
    return this.first(await run<FileRow>(tx, MARK_READY, { id, ...image }));
  }

  async markFailed(tx: Tx, id: string, code: string, detail: string): Promise<StoredFile | null> {
    return this.first(await run<FileRow>(tx, MARK_FAILED, { id, code, detail }));
  }

  /** The file, its row locked until `tx` ends: the image job's change waits for it. */
  async lockOwned(tx: Tx, userId: string, id: string): Promise<StoredFile | null> {
    return this.first(await run<FileRow>(tx, LOCK_OWNED, { id, userId }));
  }

  /** Deletes the metadata row and answers it as it was; its blobs are the caller's to delete after commit. */
  async deleteOwned(tx: Tx, userId: string, id: string): Promise<StoredFile | null> {
    return this.first(await run<FileRow>(tx, DELETE_OWNED, { id, userId }));
  }

  private first(rows: FileRow[]): StoredFile | null {
    return rows.length ? toFile(rows[0]) : null;
  }
}
