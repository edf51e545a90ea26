import {
  Injectable,
  Logger,
  LoggerService,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { Transactions } from '../database/transactions';
import { JobTasks } from './job-task';
import { FailedJob, JobsRepository } from './jobs.repository';

/** A runner writes its heartbeat this often... */
export const HEARTBEAT_EVERY_MS = 5_000;
/** ...and is taken for dead after this long without one: three missed heartbeats. */
export const RUNNER_DEAD_AFTER_MS = 15_000;
const CHECK_EVERY_MS = 5_000;

/** Failed jobs looked at per check: more than this many kept failed wait for some to be removed. */
const FAILED_PER_CHECK = 1_000;

/**
 * Hands the jobs of a runner that died (SIGKILL, lost machine) back to the queue within
 * RUNNER_DEAD_AFTER_MS + CHECK_EVERY_MS, so another process runs them. Every process checks,
 * also one that runs no jobs; the release is idempotent, so replicas checking together is harmless.
 *
 * Each check then hands every job failed for good to its task's `gaveUp`, once per process, so no
 * resource waits for ever on a job that will not run again. A last run that fails gives up itself,
 * but some failures leave that undone: a last run lost with its process (released just before),
 * a `gaveUp` that failed while graphile-worker still recorded the run's failure (the database away
 * for that moment), an operator's `permanently_fail_jobs`. `gaveUp` changes only a resource that
 * still waits, so giving up again, from every process and after every start, changes nothing.
 */
@Injectable()
export class StrandedJobs implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(StrandedJobs.name);
  private timer: NodeJS.Timeout | null = null;
  /** Failed jobs this process has given up on: not again while they stay failed. */
  private givenUp = new Set<string>();
  /** The check under way: a check asked for meanwhile joins it rather than run beside it. */
  private checking: Promise<number> | null = null;

  constructor(
    private readonly jobs: JobsRepository,
    private readonly transactions: Transactions,
    private readonly tasks: JobTasks,
  ) {}

  onApplicationBootstrap() {
    this.timer = setInterval(() => void this.checkQuietly(), CHECK_EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown() {
    if (this.timer) clearInterval(this.timer);
  }

  /** One check: how many dead runners' jobs were released. */
  check(): Promise<number> {
    this.checking ??= this.checkOnce().finally(() => (this.checking = null));
    return this.checking;
  }

  private async checkOnce(): Promise<number> {
    const db = this.transactions.autocommit;
    const runners = await this.jobs.releaseStranded(db, RUNNER_DEAD_AFTER_MS);
    const failed = await this.jobs.failed(db, FAILED_PER_CHECK);
    const givenUp = new Set<string>();
    for (const job of failed)
      if (this.givenUp.has(job.id) || (await this.giveUp(job))) givenUp.add(job.id);
    // Jobs removed, or added again under their key (the same row, its runs reset), are forgotten.
    this.givenUp = givenUp;
    return runners;
  }

  /** Never throws: one job's failure to record must not keep the others from theirs. */
  private async giveUp({ task, payload, lastError }: FailedJob): Promise<boolean> {
    const error = new Error(lastError ?? 'its last run stopped before it finished');
    try {
      await this.tasks.named(task)?.gaveUp(payload as never, error);
      return true;
    } catch (failure) {
      this.logger.warn(`a job of ${task} not given up on yet: ${(failure as Error).message}`);
      return false;
    }
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
