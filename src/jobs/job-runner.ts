import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { EventEmitter } from 'node:events';
import {
  Logger as GraphileLogger,
  run,
  type Job,
  type JobHelpers,
  type Runner,
  type RunnerOptions,
  type TaskList,
  type WorkerEvents,
} from 'graphile-worker';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { sessionUrlOf } from '../database/data-source';
import { Transactions } from '../database/transactions';
import { JobMetrics } from './job-metrics';
import { JOB_SCHEMA } from './job-schema';
import { JobTask, JobTasks } from './job-task';
import { JobsRepository } from './jobs.repository';
import { RunnerHeartbeat } from './stranded-jobs';

/** After SIGTERM, running jobs have this long to finish before they are aborted and handed back. */
export const JOB_SHUTDOWN_GRACE_MS = 10_000;
/** Jobs added by a create are picked up at once (LISTEN/NOTIFY); this only bounds retries' delay. */
const POLL_INTERVAL_MS = 1_000;
const RESTART_DELAY_MS = 5_000;

/**
 * Runs the registered job tasks in this process with graphile-worker, WORKER_CONCURRENCY at a
 * time (none at 0). graphile-worker's own queries (taking and completing jobs, LISTEN) use a
 * pool of its own; the handlers' SQL goes through the process's pool like any request's.
 */
@Injectable()
export class JobRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Jobs');
  private readonly heartbeat: RunnerHeartbeat;
  private runner: Runner | null = null;
  private restart: NodeJS.Timeout | null = null;
  /** A runner being started: shutdown waits for it, so it is stopped like one already running. */
  private starting: Promise<void> | null = null;
  private stopping = false;

  constructor(
    private readonly tasks: JobTasks,
    private readonly metrics: JobMetrics,
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    jobs: JobsRepository,
    transactions: Transactions,
  ) {
    this.heartbeat = new RunnerHeartbeat(jobs, transactions, this.logger);
  }

  async onApplicationBootstrap() {
    if (this.config.workerConcurrency === 0 || this.tasks.all().length === 0) return;
    await this.start();
  }

  async onApplicationShutdown() {
    this.stopping = true;
    if (this.restart) clearTimeout(this.restart);
    await this.starting;
    await this.runner?.stop().catch((error: Error) => this.logger.warn(error.message));
    await this.heartbeat.end();
  }

  private start(): Promise<void> {
    this.starting = this.startRunner().finally(() => (this.starting = null));
    return this.starting;
  }

  private async startRunner() {
    let runner: Runner;
    try {
      runner = await run(this.options());
    } catch (error) {
      return this.restartLater(null, error);
    }
    this.runner = runner;
    runner.promise.then(
      () => this.restartLater(runner, null),
      (error) => this.restartLater(runner, error),
    );
  }

  /**
   * graphile-worker stops a runner that cannot record its jobs' outcomes (the database gone for
   * too long). Its heartbeat ends with it, handing back the jobs it holds, and a new runner takes
   * over; nothing else in the process has to restart. `ended`: the runner this is about, if any;
   * one already replaced changes nothing.
   */
  private restartLater(ended: Runner | null, error: unknown) {
    if (ended && this.runner !== ended) return;
    this.runner = null;
    if (this.stopping) return; // onApplicationShutdown ends the heartbeat once the stop is over
    void this.heartbeat.end();
    const reason = error ? `: ${(error as Error).message}` : '';
    this.logger.error(`job runner stopped${reason}; a new one starts in ${RESTART_DELAY_MS} ms`);
    this.restart = setTimeout(() => void this.start(), RESTART_DELAY_MS);
  }

  private options(): RunnerOptions {
    const concurrency = this.config.workerConcurrency;
    return {
      connectionString: sessionUrlOf(this.dataSource, 'order-service jobs'),
      maxPoolSize: concurrency + 2, // the LISTEN connection, and one to spare for completions
      concurrency,
      schema: JOB_SCHEMA,
      noHandleSignals: true, // main.ts owns the signals and stops us through Nest's shutdown
      pollInterval: POLL_INTERVAL_MS,
      gracefulShutdownAbortTimeout: JOB_SHUTDOWN_GRACE_MS,
      // Unbatched, a completion or failure that cannot be written (the database restarting) is a
      // promise graphile-worker 0.17 leaves unhandled, and Node ends the process. Batched, even
      // with no delay, it is handled: the runner stops, hands its jobs back, and a new one starts.
      preset: { worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
      taskList: this.taskList(),
      events: this.events(),
      logger: this.graphileLogger(),
    };
  }

  private taskList(): TaskList {
    const list: TaskList = {};
    for (const task of this.tasks.all())
      list[task.name] = (payload, helpers) => runTask(task, payload as never, helpers);
    return list;
  }

  private events(): WorkerEvents {
    const events: WorkerEvents = new EventEmitter();
    events.on('pool:create', ({ workerPool }) =>
      this.heartbeat.begin(workerPool.id, (lost) => this.lostTrackOf(lost)),
    );
    events.on('job:start', ({ job }) => {
      this.heartbeat.started(job.id);
      this.logger.log(
        `job ${job.task_identifier} #${job.id} (${job.key ?? 'no key'}) started: run ${job.attempts} of ${job.max_attempts}`,
      );
    });
    events.on('job:success', ({ job }) => {
      this.heartbeat.ended(job.id);
      this.finished(job, 'succeeded');
    });
    events.on('job:error', ({ job, error }) => {
      this.heartbeat.ended(job.id);
      this.logger.warn(
        `job ${job.task_identifier} #${job.id} failed (run ${job.attempts} of ${job.max_attempts}): ${(error as Error).message}`,
      );
    });
    events.on('job:failed', ({ job }) => this.finished(job, 'failed'));
    return events;
  }

  /**
   * Jobs this runner holds but no longer runs (graphile-worker may be stuck stopping after a
   * failed write): it is left to wind down, its jobs are handed back, and a new runner starts.
   */
  private lostTrackOf(jobIds: string[]) {
    const runner = this.runner;
    if (!runner) return;
    void runner.stop().catch(() => undefined); // often stopping already
    this.restartLater(runner, new Error(`it held jobs ${jobIds.join(', ')} without running them`));
  }

  private finished(job: Job, outcome: 'succeeded' | 'failed') {
    this.metrics.finished(job.task_identifier, outcome, new Date(job.created_at));
  }

  private graphileLogger(): GraphileLogger {
    return new GraphileLogger(() => (level, message) => {
      // graphile-worker's LogLevel is a const enum of these strings.
      const name = level as string;
      if (name === 'error') this.logger.error(message);
      else if (name === 'warning') this.logger.warn(message);
    });
  }
}

/** One run of a task; after the last allowed run fails, the task records why (`gaveUp`). */
export async function runTask<Payload>(
  task: JobTask<Payload>,
  payload: Payload,
  helpers: JobHelpers,
) {
  const { attempts, max_attempts } = helpers.job;
  try {
    await task.run(payload, {
      attempt: attempts,
      maxAttempts: max_attempts,
      signal: helpers.abortSignal,
    });
  } catch (error) {
    if (attempts >= max_attempts)
      // The run's error stays the job's last error; a give-up that failed is retried (FailedJobs).
      await task
        .gaveUp(payload, error as Error)
        .catch((failure: Error) =>
          helpers.logger.warn(`${task.name}: not given up on yet: ${failure.message}`),
        );
    throw error;
  }
}
