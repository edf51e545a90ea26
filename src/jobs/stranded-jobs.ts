import {
  Injectable,
  Logger,
  LoggerService,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { Transactions } from '../database/transactions';
import { JobTasks } from './job-task';
import { FailedJobs } from './failed-jobs';
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
 * A job whose lost run was its last will not run again: its task gives up on it here, as it does
 * after a last run that failed, so its resource does not wait for ever. Each check then gives up
 * on the jobs failed for good that nothing has given up on yet (FailedJobs).
 */
@Injectable()
export class StrandedJobs implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(StrandedJobs.name);
  private readonly failed: FailedJobs;
  private timer: NodeJS.Timeout | null = null;
  /** The checks asked for and not finished: one runs at a time, each after the one before. */
  private pending = 0;
  private last: Promise<unknown> = Promise.resolve();
  private stopping = false;

  constructor(
    private readonly jobs: JobsRepository,
    private readonly transactions: Transactions,
    tasks: JobTasks,
  ) {
    this.failed = new FailedJobs(jobs, tasks, this.logger);
  }

  onApplicationBootstrap() {
    this.timer = setInterval(() => {
      if (this.pending === 0) void this.checkQuietly(); // a slow check is not queued behind
    }, CHECK_EVERY_MS);
    this.timer.unref();
  }

  async onApplicationShutdown() {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await this.last;
  }

  /** A whole check, begun once any check under way has finished: dead runners released. */
  check(): Promise<number> {
    this.pending++;
    const next = this.last.then(() => this.checkOnce());
    this.last = next.catch(() => undefined).finally(() => this.pending--);
    return next;
  }

  private async checkOnce(): Promise<number> {
    const db = this.transactions.autocommit;
    const released = await this.jobs.releaseStranded(db, RUNNER_DEAD_AFTER_MS);
    await this.failed.giveUpOnReleased(released.exhausted);
    await this.failed
      .giveUpOnNextPage(db, () => this.stopping)
      .catch((error: Error) => this.logger.warn(`failed jobs not checked: ${error.message}`));
    return released.runners;
  }

  private async checkQuietly() {
    try {
      const runners = await this.check();
      if (runners > 0) this.logger.warn(`released the jobs of ${runners} dead job runner(s)`);
    } catch (error) {
      this.logger.warn(`stranded jobs not checked: ${(error as Error).message}`);
    }
  }
}

/**
 * A runner's "still alive" in job_runner_heartbeats, from its start (`begin`) to its end. With
 * each beat it also looks for jobs the runner holds without running them (a completion that could
 * not be recorded while the database was away): graphile-worker would keep those locked for four
 * hours, and a live runner's jobs are not released by StrandedJobs, so `onLost` is told.
 */
export class RunnerHeartbeat {
  private timer: NodeJS.Timeout | null = null;
  private runnerId: string | null = null;
  /** Jobs whose handler is running in this process now. */
  private readonly running = new Set<string>();
  /**
   * Held and not running at the last beat. A job is lost only when it is so at two beats in a
   * row: a completion on its way to the database when the first beat looked is recorded by then.
   */
  private suspects = new Set<string>();

  constructor(
    private readonly jobs: JobsRepository,
    private readonly transactions: Transactions,
    private readonly logger: LoggerService,
  ) {}

  begin(runnerId: string, onLost: (jobIds: string[]) => void) {
    this.runnerId = runnerId;
    const beat = () =>
      this.beat(runnerId, onLost).catch((error: Error) =>
        this.logger.warn(`job runner heartbeat not written: ${error.message}`),
      );
    void beat();
    this.timer = setInterval(() => void beat(), HEARTBEAT_EVERY_MS);
    this.timer.unref();
  }

  started(jobId: string) {
    this.running.add(jobId);
  }

  ended(jobId: string) {
    this.running.delete(jobId);
  }

  private async beat(runnerId: string, onLost: (jobIds: string[]) => void) {
    const db = this.transactions.autocommit;
    await this.jobs.heartbeat(db, runnerId);
    const held = await this.jobs.lockedBy(db, runnerId, RUNNER_DEAD_AFTER_MS);
    const idle = held.filter((jobId) => !this.running.has(jobId));
    const lost = idle.filter((jobId) => this.suspects.has(jobId));
    this.suspects = new Set(idle);
    if (lost.length > 0 && this.runnerId === runnerId) onLost(lost);
  }

  /** The runner has stopped: forgets it, and hands back any job it still holds. */
  async end() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const runnerId = this.runnerId;
    this.runnerId = null;
    this.running.clear();
    this.suspects.clear();
    if (runnerId)
      await this.jobs
        .releaseRunner(this.transactions.autocommit, runnerId)
        .catch((error: Error) =>
          this.logger.warn(`job runner ${runnerId} not released: ${error.message}`),
        );
  }
}
