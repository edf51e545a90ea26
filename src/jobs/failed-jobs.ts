import type { LoggerService } from '@nestjs/common';
import { isDatabaseUnavailable } from '../database/database-errors';
import type { Tx } from '../database/transactions';
import type { JobTasks } from './job-task';
import type { FailedJob, JobsRepository } from './jobs.repository';

/** Failed jobs read per check; a longer list is read a page per check, round and round. */
export const FAILED_PAGE = 1_000;

/** The message a task is given up on with when its job recorded no error (its last run was lost). */
export const LOST_LAST_RUN = 'the process running it stopped before it finished';

/**
 * Hands each job failed for good to its task's `gaveUp`, once per process, so that no resource
 * waits for ever on a job that will not run again. A last run that fails gives up itself, but some
 * failures leave that undone: a last run lost with its process, a `gaveUp` that failed while
 * graphile-worker still recorded the run's failure (the database away for that moment), an
 * operator's `permanently_fail_jobs`. `gaveUp` changes only a resource that still waits, so
 * giving up again (from every process, and after every start) changes nothing. Only jobs that
 * still hold their key are read: `add_job` under the key of a failed job adds a new job and takes
 * the key from the old one, which must then not fail the resource the new job works on.
 */
export class FailedJobs {
  /** Jobs given up on by this process: not again while they stay failed. */
  private givenUp = new Set<string>();
  /** Jobs read in the pass through the list under way, to forget those since removed. */
  private readThisPass = new Set<string>();
  /** The last id of the page read before; '0' at the start of a pass. */
  private after = '0';

  constructor(
    private readonly jobs: JobsRepository,
    private readonly tasks: JobTasks,
    private readonly logger: LoggerService,
    private readonly pageSize = FAILED_PAGE,
  ) {}

  /**
   * One page of the list. A give-up that fails because the database is away stops the page, to
   * start there next time; any other failure (a job's payload that its task cannot use) is left
   * for the next pass, so that it never holds up the jobs after it.
   */
  async giveUpOnNextPage(db: Tx, stopping: () => boolean): Promise<void> {
    const page = await this.jobs.failed(db, this.after, this.pageSize);
    for (const job of page) {
      if (stopping()) return;
      if (!this.givenUp.has(job.id)) {
        const failure = await this.giveUpIfStillFailed(db, job);
        if (failure && isDatabaseUnavailable(failure)) return;
        if (!failure) this.gaveUpOn(job.id);
      } else this.readThisPass.add(job.id);
      this.after = job.id;
    }
    if (page.length < this.pageSize) this.endPass();
  }

  /** Jobs just released whose lost run was their last: given up on now, not again. */
  async giveUpOnReleased(jobs: readonly FailedJob[]): Promise<void> {
    for (const job of jobs) if ((await this.giveUp(job)) === null) this.gaveUpOn(job.id);
  }

  /** A job given up on: not again while it stays failed. */
  private gaveUpOn(jobId: string) {
    this.givenUp.add(jobId);
    this.readThisPass.add(jobId);
  }

  /**
   * Read again just before: an operator's retry that committed since the page was read took the
   * job's key, and the resource is now the new job's.
   */
  private async giveUpIfStillFailed(db: Tx, job: FailedJob): Promise<unknown> {
    try {
      if (!(await this.jobs.stillFailed(db, job.id))) return null;
    } catch (error) {
      return error;
    }
    return this.giveUp(job);
  }

  private endPass() {
    this.givenUp = new Set([...this.givenUp].filter((id) => this.readThisPass.has(id)));
    this.readThisPass = new Set();
    this.after = '0';
  }

  /** Null once the job's resource has been told; else why not (and a warning). */
  private async giveUp({ task, payload, lastError }: FailedJob): Promise<unknown> {
    const named = this.tasks.named(task);
    if (!named) {
      this.logger.warn(`a failed job of ${task}, a task this process does not know, left as it is`);
      return null;
    }
    try {
      await named.gaveUp(payload as never, new Error(lastError ?? LOST_LAST_RUN));
      return null;
    } catch (failure) {
      this.logger.warn(`a job of ${task} not given up on yet: ${(failure as Error).message}`);
      return failure;
    }
  }
}
