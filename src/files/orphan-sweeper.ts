import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { BlobStorages } from './storage/blob-storages';

const SWEEP_EVERY_MS = 10 * 60_000;
/** Uploads in progress are younger than this; anything older and unreferenced was left by a crash. */
export const ORPHAN_GRACE_MS = 60 * 60_000;

/** Removes blobs that no file row references: what a crash mid-upload or mid-delete left behind. */
@Injectable()
export class OrphanSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OrphanSweeper.name);
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly storages: BlobStorages) {}

  onApplicationBootstrap() {
    this.timer = setInterval(() => {
      this.sweep().catch((error: Error) =>
        this.logger.warn(`orphaned blobs not swept: ${error.message}`),
      );
    }, SWEEP_EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown() {
    if (this.timer) clearInterval(this.timer);
  }

  /** Sweeps every driver; resolves to how many blobs went. */
  async sweep(olderThan = new Date(Date.now() - ORPHAN_GRACE_MS)): Promise<number> {
    const counts = await Promise.all(
      this.storages.all().map((storage) => storage.sweepOrphans(olderThan)),
    );
    return counts.reduce((sum, count) => sum + count, 0);
  }
}
