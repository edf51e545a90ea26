import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Transactions } from '../database/transactions';
import { JobsRepository } from './jobs.repository';

/** A runner writes its heartbeat this often... */
export const HEARTBEAT_EVERY_MS = 5_000;
/** ...and is taken for dead after this long without one: three missed heartbeats. */
export const RUNNER_DEAD_AFTER_MS = 15_000;
const CHECK_EVERY_MS = 5_000;

/**
 * Hands the jobs of a runner that died (SIGKILL, lost machine) back to the queue within
 * RUNNER_DEAD_AFTER_MS + CHECK_EVERY_MS, so another process runs them. Every process checks,
 * also one that runs no jobs; the release is idempotent, so replicas checking together is harmless.
 */
@Injectable()
export class StrandedJobs implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(StrandedJobs.name);
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly jobs: JobsRepository,
    private readonly transactions: Transactions,
  ) {}

  onApplicationBootstrap() {
    this.timer = setInterval(() => void this.releaseQuietly(), CHECK_EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown() {
    if (this.timer) clearInterval(this.timer);
  }

  /** How many dead runners' jobs were released. */
  release(): Promise<number> {
    return this.jobs.releaseStranded(this.transactions.autocommit, RUNNER_DEAD_AFTER_MS);
  }

  private async releaseQuietly() {
    try {
      const runners = await this.release();
      if (runners > 0) this.logger.warn(`released the jobs of ${runners} dead job runner(s)`);
    } catch (error) {
      this.logger.warn(`stranded jobs not checked: ${(error as Error).message}`);
    }
  }
}
