import { Readable } from 'node:stream';
import type { ByteRange } from '../byte-range';
import { BlobStorage } from './blob-storage';
import { BlobsRepository, MAX_CHUNKS_PER_INSERT } from './blobs.repository';
import { groupsOf, rechunk } from './rechunk';

/** Rows of 256 KiB: a range read fetches little more than it needs, yet rows stay few. */
export const CHUNK_SIZE = 256 * 1024;

/**
 * Blobs as chunked bytea rows, so any number of replicas share files through the database alone.
 * Each statement commits on its own: a slow upload holds no transaction open.
 */
export class PostgresBlobStorage implements BlobStorage {
  readonly name = 'postgres';

  constructor(private readonly blobs: BlobsRepository) {}

  async write(blobId: string, source: Readable): Promise<void> {
    await this.blobs.insertBlob(blobId);
    try {
      let seq = 0;
      for await (const chunks of groupsOf(rechunk(source, CHUNK_SIZE), MAX_CHUNKS_PER_INSERT)) {
        await this.blobs.insertChunks(blobId, seq, chunks);
        seq += chunks.length;
      }
    } catch (error) {
      // Unreferenced only: a job's blob id is the same every run, and another run of it may have
      // written this blob whole and recorded it meanwhile. What remains is the sweeper's.
      await this.deleteUnreferenced(blobId).catch(() => undefined);
      throw error;
    }
  }

  read(blobId: string, size: number, range: ByteRange | null): Readable {
    return Readable.from(this.chunks(blobId, range ?? { start: 0, end: size - 1 }));
  }

  delete(blobId: string): Promise<void> {
    return this.blobs.delete(blobId);
  }

  deleteUnreferenced(blobId: string): Promise<void> {
    return this.blobs.deleteUnreferenced(blobId);
  }

  sweepOrphans(olderThan: Date): Promise<number> {
    return this.blobs.sweepUnreferenced(olderThan);
  }

  private async *chunks(blobId: string, { start, end }: ByteRange): AsyncGenerator<Buffer> {
    for (let seq = Math.floor(start / CHUNK_SIZE); seq <= Math.floor(end / CHUNK_SIZE); seq++) {
      const data = await this.blobs.chunk(blobId, seq);
      if (!data) throw new Error(`blob ${blobId} is missing chunk ${seq}`);
      const offset = seq * CHUNK_SIZE;
      yield data.subarray(Math.max(start - offset, 0), end - offset + 1);
    }
  }
}
