import { Injectable } from '@nestjs/common';
import { GuardedWrite } from '../database/guarded-write';
import { Tx } from '../database/transactions';
import { StoredFile } from './file.entity';

/** All SQL about file metadata, always filtered by owner. */
@Injectable()
export class FilesRepository {
  /** The file's metadata row, as a CTE of the idempotency store's statement (or on its own). */
  insertion(file: StoredFile): GuardedWrite {
    return {
      ctes: (params, guard) => `
        inserted_file AS (
          INSERT INTO files (id, user_id, blob_id, storage, filename, content_type, size, sha256, created_at)
          SELECT ${params.add(file.id, 'uuid')}, ${params.add(file.userId, 'uuid')}, ${params.add(file.blobId, 'uuid')},
                 ${params.add(file.storage, 'text')}, ${params.add(file.filename, 'text')},
                 ${params.add(file.contentType, 'text')}, ${params.add(file.size, 'bigint')},
                 ${params.add(file.sha256, 'text')}, ${params.add(file.createdAt, 'timestamptz')}
            FROM ${guard})`,
      rejection: (error) => error,
    };
  }

  findOwned(tx: Tx, userId: string, id: string): Promise<StoredFile | null> {
    return tx.manager.findOneBy(StoredFile, { id, userId });
  }

  /** Deletes the metadata row; its blob is the caller's to delete after commit. */
  async deleteOwned(
    tx: Tx,
    userId: string,
    id: string,
  ): Promise<Pick<StoredFile, 'blobId' | 'storage'> | null> {
    const rows: { blob_id: string; storage: StoredFile['storage'] }[] = await tx.manager.query(
      // A CTE, because TypeORM answers a bare DELETE ... RETURNING with [rows, count], not rows.
      `WITH deleted AS (DELETE FROM files WHERE id = $1 AND user_id = $2 RETURNING blob_id, storage)
       SELECT blob_id, storage FROM deleted`,
      [id, userId],
    );
    return rows.length ? { blobId: rows[0].blob_id, storage: rows[0].storage } : null;
  }
}
