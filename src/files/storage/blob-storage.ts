import { Readable } from 'node:stream';
import type { StorageDriverName } from '../file.entity';
import type { ByteRange } from '../byte-range';

/** Where file bytes live. Blobs are written before their metadata row exists and are immutable. */
export interface BlobStorage {
  readonly name: StorageDriverName;
  /** Streams `source` into a new blob. On any error nothing of it is kept, and the error is rethrown. */
  write(blobId: string, source: Readable): Promise<void>;
  /** The blob's bytes, or the inclusive `range` of them. */
  read(blobId: string, size: number, range: ByteRange | null): Readable;
  delete(blobId: string): Promise<void>;
  /**
   * Deletes the blob unless a file row references it: safe even when it is unknown whether the
   * transaction that would reference it committed (a connection lost at COMMIT).
   */
  deleteUnreferenced(blobId: string): Promise<void>;
  /** Deletes blobs older than `olderThan` that no file row references (left by a crash); how many. */
  sweepOrphans(olderThan: Date): Promise<number>;
}
