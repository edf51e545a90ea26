import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { BlobStorages } from './storage/blob-storages';

const SWEEP_EVERY_MS = 10 * 60_000;
/**
 * Uploads in progress are younger than this, or than twice REQUEST_TIMEOUT when that is longer
 * (an upload may take that long to arrive): anything older and unreferenced was left by a crash.
 */
const ORPHAN_GRACE_MS = 60 * 60_000;

/** Removes blobs that no file row references: what a crash mid-upload or mid-delete left behind. */
@Injectable()
export class OrphanSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OrphanSweeper.name);
  private timer: NodeJS.Timeout | null = null;
  private readonly graceMs: number;

  constructor(
    private readonly storages: BlobStorages,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.graceMs = Math.max(ORPHAN_GRACE_MS, 2 * config.requestTimeoutMs);
  }

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
  async sweep(olderThan = new Date(Date.now() - this.graceMs)): Promise<number> {
    const counts = await Promise.all(
      this.storages.all().map((storage) => storage.sweepOrphans(olderThan)),
    );
    return counts.reduce((sum, count) => sum + count, 0);
  }
}
