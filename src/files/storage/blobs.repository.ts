import { Injectable } from '@nestjs/common';
import { run, statement, Statement } from '../../database/statement';
import { Transactions } from '../../database/transactions';

/**
 * The most chunk rows one INSERT writes (1 MiB of PostgresBlobStorage's chunks, what an upload
 * holds in memory at most): pg's client and server spend less per byte on one larger statement
 * than on several, so a write takes as few as memory allows.
 */
export const MAX_CHUNKS_PER_INSERT = 4;

/** No file row holds blob `b` as its bytes or as its thumbnail. */
const UNREFERENCED = `NOT EXISTS (SELECT 1 FROM files f WHERE f.blob_id = b.id)
   AND NOT EXISTS (SELECT 1 FROM files f WHERE f.thumbnail_blob_id = b.id)`;

const INSERT_BLOB = statement(
  'BlobsRepository.insertBlob',
  'INSERT INTO file_blobs (id, created_at) VALUES (:blobId, now())',
);

/** Rows firstSeq, firstSeq + 1, ... of a blob, one statement for each number of rows. */
const INSERT_CHUNKS = Array.from({ length: MAX_CHUNKS_PER_INSERT }, (_, n) =>
  statement(
    `BlobsRepository.insertChunks (${n + 1})`,
    `INSERT INTO file_blob_chunks (blob_id, seq, data) VALUES ${Array.from(
      { length: n + 1 },
      (_, i) => `(:blobId, :firstSeq::integer + ${i}, :chunk${i})`,
    ).join(', ')}`,
  ),
);

const CHUNK = statement(
  'BlobsRepository.chunk',
  'SELECT data FROM file_blob_chunks WHERE blob_id = :blobId AND seq = :seq',
);

const DELETE_BLOB = statement(
  'BlobsRepository.delete',
  'DELETE FROM file_blobs WHERE id = :blobId',
);

const DELETE_UNREFERENCED = statement(
  'BlobsRepository.deleteUnreferenced',
  `DELETE FROM file_blobs b WHERE b.id = :blobId AND ${UNREFERENCED}`,
);

const SWEEP_UNREFERENCED = statement(
  'BlobsRepository.sweepUnreferenced',
  `
   WITH deleted AS (
     DELETE FROM file_blobs b
      WHERE b.created_at < :olderThan AND ${UNREFERENCED}
     RETURNING 1)
   SELECT count(*)::int AS deleted FROM deleted`,
);

/** Which of the ids a file row holds, as its bytes or as its thumbnail (blobs kept outside). */
const REFERENCED_AMONG = statement(
  'BlobsRepository.referencedAmong',
  `
   SELECT blob_id AS id FROM files WHERE blob_id = ANY(:blobIds::uuid[])
   UNION ALL
   SELECT thumbnail_blob_id FROM files WHERE thumbnail_blob_id = ANY(:blobIds::uuid[])`,
);

/**
 * The blobs' SQL: the `postgres` driver's rows, and for both drivers which blobs a file still
 * refers to. Every statement commits on its own: a slow upload holds no transaction open.
 */
@Injectable()
export class BlobsRepository {
  static readonly statements: Statement[] = [
    INSERT_BLOB,
    ...INSERT_CHUNKS,
    CHUNK,
    DELETE_BLOB,
    DELETE_UNREFERENCED,
    SWEEP_UNREFERENCED,
    REFERENCED_AMONG,
  ];

  constructor(private readonly transactions: Transactions) {}

  private get db() {
    return this.transactions.autocommit;
  }

  async insertBlob(blobId: string): Promise<void> {
    await run(this.db, INSERT_BLOB, { blobId });
  }

  /** Rows `firstSeq`, `firstSeq + 1` ... in one statement; the bytes go as binary parameters. */
  async insertChunks(blobId: string, firstSeq: number, chunks: readonly Buffer[]): Promise<void> {
    const values: Record<string, unknown> = { blobId, firstSeq };
    chunks.forEach((chunk, i) => (values[`chunk${i}`] = chunk));
    await run(this.db, INSERT_CHUNKS[chunks.length - 1], values);
  }

  async chunk(blobId: string, seq: number): Promise<Buffer | null> {
    const rows = await run<{ data: Buffer }>(this.db, CHUNK, { blobId, seq });
    return rows.length ? rows[0].data : null;
  }

  async delete(blobId: string): Promise<void> {
    await run(this.db, DELETE_BLOB, { blobId });
  }

  async deleteUnreferenced(blobId: string): Promise<void> {
    await run(this.db, DELETE_UNREFERENCED, { blobId });
  }

  /** Deletes the blob rows older than `olderThan` that no file refers to; how many. */
  async sweepUnreferenced(olderThan: Date): Promise<number> {
    const [{ deleted }] = await run<{ deleted: number }>(this.db, SWEEP_UNREFERENCED, {
      olderThan,
    });
    return deleted;
  }

  async referencedAmong(blobIds: readonly string[]): Promise<Set<string>> {
    const rows = await run<{ id: string }>(this.db, REFERENCED_AMONG, { blobIds });
    return new Set(rows.map((row) => row.id));
  }
}
