import {
  Injectable,
  Logger,
  LoggerService,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
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

/** A runner's "still alive" in job_runner_heartbeats, from its start (`begin`) to its end. */
export class RunnerHeartbeat {
  private timer: NodeJS.Timeout | null = null;
  private runnerId: string | null = null;

  constructor(
    private readonly jobs: JobsRepository,
    private readonly transactions: Transactions,
    private readonly logger: LoggerService,
  ) {}

  begin(runnerId: string) {
    this.runnerId = runnerId;
    const write = () =>
      this.jobs
        .heartbeat(this.transactions.autocommit, runnerId)
        .catch((error: Error) =>
          this.logger.warn(`job runner heartbeat not written: ${error.message}`),
        );
    void write();
    this.timer = setInterval(() => void write(), HEARTBEAT_EVERY_MS);
    this.timer.unref();
  }

  /** The runner has stopped: forgets it, and hands back any job it still holds. */
  async end() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const runnerId = this.runnerId;
    this.runnerId = null;
    if (runnerId)
      await this.jobs
        .releaseRunner(this.transactions.autocommit, runnerId)
        .catch((error: Error) =>
          this.logger.warn(`job runner ${runnerId} not released: ${error.message}`),
        );
  }
}
