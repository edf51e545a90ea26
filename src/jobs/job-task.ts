import { Injectable } from '@nestjs/common';

/** What a job's handler is told about the run. */
export interface JobRun {
  /** This run's number, from 1; a job whose worker died counts the lost run too. */
  readonly attempt: number;
  readonly maxAttempts: number;
  /**
   * Aborted when the process shuts down: stop early. The run counts as a failed one: the job runs
   * again, unless this was its last allowed run.
   */
  readonly signal: AbortSignal;
}

/**
 * A kind of background job, declared by the feature that needs it. Handlers must be idempotent:
 * a run can be repeated after a crash that came after the work but before the job was marked done.
 */
export interface JobTask<Payload> {
  /** The job's identifier in the queue, `feature.action`. */
  readonly name: string;
  /** Runs the job; a throw is retried with backoff until `maxAttempts` runs have failed. */
  run(payload: Payload, run: JobRun): Promise<void>;
  /**
   * After the last allowed run failed, or was lost with the process running it: record the failure
   * where clients see it (a resource's status). The job then stays in the queue as failed, with
   * its last error. Called again for a job failed for good (once per process, see StrandedJobs),
   * so it must change only a resource that still waits.
   */
  gaveUp(payload: Payload, error: Error): Promise<void>;
}

/** How often a failing job is tried in all; with the queue's backoff the last try is ~30 min later. */
export const MAX_ATTEMPTS = 8;

/**
 * The task list: features register their tasks in `onModuleInit`; the runner starts after every
 * module is initialised, so it sees them all without importing any feature.
 */
@Injectable()
export class JobTasks {
  private readonly tasks = new Map<string, JobTask<never>>();

  register<Payload>(task: JobTask<Payload>): void {
    if (this.tasks.has(task.name)) throw new Error(`job task ${task.name} registered twice`);
    this.tasks.set(task.name, task);
  }

  all(): JobTask<never>[] {
    return [...this.tasks.values()];
  }

  named(name: string): JobTask<never> | undefined {
    return this.tasks.get(name);
  }
}
