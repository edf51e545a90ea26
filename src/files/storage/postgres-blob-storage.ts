import { Readable } from 'node:stream';
import { Transactions } from '../../database/transactions';
import type { ByteRange } from '../byte-range';
import { BlobStorage } from './blob-storage';
import { groupsOf, rechunk } from './rechunk';

/** Rows of 256 KiB: a range read fetches little more than it needs, yet rows stay few. */
export const CHUNK_SIZE = 256 * 1024;
/**
 * Rows per INSERT (1 MiB, what an upload holds in memory at most): pg's client and server spend
 * less per byte on one larger statement than on several, so a write takes as few as memory allows.
 */
const CHUNKS_PER_STATEMENT = 4;

/** No file row holds blob `b` as its bytes or as its thumbnail. */
const UNREFERENCED = `NOT EXISTS (SELECT 1 FROM files f WHERE f.blob_id = b.id)
   AND NOT EXISTS (SELECT 1 FROM files f WHERE f.thumbnail_blob_id = b.id)`;

/**
 * Blobs as chunked bytea rows, so any number of replicas share files through the database alone.
 * Each statement commits on its own: a slow upload holds no transaction open.
 */
export class PostgresBlobStorage implements BlobStorage {
  readonly name = 'postgres';

  constructor(private readonly transactions: Transactions) {}

  private get db() {
    return this.transactions.autocommit.manager;
  }

  async write(blobId: string, source: Readable): Promise<void> {
    await this.db.query('INSERT INTO file_blobs (id, created_at) VALUES ($1, now())', [blobId]);
    try {
      let seq = 0;
      for await (const chunks of groupsOf(rechunk(source, CHUNK_SIZE), CHUNKS_PER_STATEMENT)) {
        await this.insertChunks(blobId, seq, chunks);
        seq += chunks.length;
      }
    } catch (error) {
      // Unreferenced only: a job's blob id is the same every run, and another run of it may have
      // written this blob whole and recorded it meanwhile. What remains is the sweeper's.
      await this.deleteUnreferenced(blobId).catch(() => undefined);
      throw error;
    }
  }

  /** Rows `firstSeq`, `firstSeq + 1` ... in one statement; the bytes go as binary parameters. */
  private async insertChunks(blobId: string, firstSeq: number, chunks: Buffer[]) {
    const rows = chunks.map((_, i) => `($1, $2::integer + ${i}, $${i + 3})`);
    await this.db.query(
      `INSERT INTO file_blob_chunks (blob_id, seq, data) VALUES ${rows.join(', ')}`,
      [blobId, firstSeq, ...chunks],
    );
  }

  read(blobId: string, size: number, range: ByteRange | null): Readable {
    return Readable.from(this.chunks(blobId, range ?? { start: 0, end: size - 1 }));
  }

  async delete(blobId: string): Promise<void> {
    await this.db.query('DELETE FROM file_blobs WHERE id = $1', [blobId]);
  }

  async deleteUnreferenced(blobId: string): Promise<void> {
    await this.db.query(`DELETE FROM file_blobs b WHERE b.id = $1 AND ${UNREFERENCED}`, [blobId]);
  }

  async sweepOrphans(olderThan: Date): Promise<number> {
    const [{ deleted }]: { deleted: number }[] = await this.db.query(
      `WITH deleted AS (
         DELETE FROM file_blobs b
          WHERE b.created_at < $1 AND ${UNREFERENCED}
         RETURNING 1)
       SELECT count(*)::int AS deleted FROM deleted`,
      [olderThan],
    );
    return deleted;
  }

  private async *chunks(blobId: string, { start, end }: ByteRange): AsyncGenerator<Buffer> {
    for (let seq = Math.floor(start / CHUNK_SIZE); seq <= Math.floor(end / CHUNK_SIZE); seq++) {
      const rows: { data: Buffer }[] = await this.db.query(
        'SELECT data FROM file_blob_chunks WHERE blob_id = $1 AND seq = $2',
        [blobId, seq],
      );
      if (rows.length === 0) throw new Error(`blob ${blobId} is missing chunk ${seq}`);
      const offset = seq * CHUNK_SIZE;
      yield rows[0].data.subarray(Math.max(start - offset, 0), end - offset + 1);
    }
  }
}
