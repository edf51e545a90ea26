import { Injectable } from '@nestjs/common';
import { run, statement, Statement } from '../database/statement';
import { Tx } from '../database/transactions';
import { HttpOutcome } from '../http/outcome';
import { CreateExecutor, Executed } from '../idempotency/create-executor';
import { createStatement, write } from '../idempotency/create-statement';
import { IdempotentRequest } from '../idempotency/idempotent-request';
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
}

const FILE_COLUMNS =
  'id, user_id, blob_id, storage, filename, content_type, size, sha256, created_at';

/** The file's metadata row, written by the create executor's statement; its blob is stored already. */
const CREATE = createStatement('FilesRepository.create', [
  write(
    'inserted_file',
    `
     INSERT INTO files (${FILE_COLUMNS})
     SELECT :id::uuid, :userId::uuid, :blobId::uuid, :storage::text, :filename::text,
            :contentType::text, :size::bigint, :sha256::text, :createdAt::timestamptz
       FROM claimed`,
  ),
]);

/** A file the service made itself (an export's CSV), in its maker's transaction. */
const INSERT_GENERATED = statement(
  'FilesRepository.insertGenerated',
  `
   INSERT INTO files (${FILE_COLUMNS})
   VALUES (:id::uuid, :userId::uuid, :blobId::uuid, :storage::text, :filename::text,
           :contentType::text, :size::bigint, :sha256::text, :createdAt::timestamptz)`,
);

const FIND_OWNED = statement(
  'FilesRepository.findOwned',
  `
   SELECT ${FILE_COLUMNS} FROM files WHERE id = :id AND user_id = :userId`,
);

const DELETE_OWNED = statement(
  'FilesRepository.deleteOwned',
  `
   DELETE FROM files WHERE id = :id AND user_id = :userId
   RETURNING blob_id, storage`,
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
  };
}

/** All SQL about file metadata, always filtered by owner. */
@Injectable()
export class FilesRepository {
  static readonly statements: Statement[] = [
    CREATE.keyed,
    CREATE.unkeyed,
    INSERT_GENERATED,
    FIND_OWNED,
    DELETE_OWNED,
  ];

  constructor(private readonly creates: CreateExecutor) {}

  /** The file's row, with `outcome` stored under the key: all or nothing. */
  create(
    file: StoredFile,
    outcome: HttpOutcome,
    idempotent: IdempotentRequest | null,
  ): Promise<Executed> {
    return this.creates.execute(idempotent, { statement: CREATE, values: file, outcome });
  }

  /** The row of a file whose blob is stored already, in `tx`: another feature's transaction. */
  async insertGenerated(tx: Tx, file: StoredFile): Promise<void> {
    await run(tx, INSERT_GENERATED, file);
  }

  async findOwned(tx: Tx, userId: string, id: string): Promise<StoredFile | null> {
    const rows = await run<FileRow>(tx, FIND_OWNED, { id, userId });
    return rows.length ? toFile(rows[0]) : null;
  }

  /** Deletes the metadata row; its blob is the caller's to delete after commit. */
  async deleteOwned(
    tx: Tx,
    userId: string,
    id: string,
  ): Promise<Pick<StoredFile, 'blobId' | 'storage'> | null> {
    const rows = await run<{ blob_id: string; storage: StoredFile['storage'] }>(tx, DELETE_OWNED, {
      id,
      userId,
    });
    return rows.length ? { blobId: rows[0].blob_id, storage: rows[0].storage } : null;
  }
}
