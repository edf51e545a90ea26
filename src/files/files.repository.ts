import { Injectable } from '@nestjs/common';
import { Tx } from '../database/transactions';
import { StoredFile } from './file.entity';

/** All SQL about file metadata, always filtered by owner. */
@Injectable()
export class FilesRepository {
  async insert(tx: Tx, file: StoredFile): Promise<void> {
    await tx.manager.insert(StoredFile, file);
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
