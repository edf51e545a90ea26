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
  type TaskList,
  type WorkerEvents,
} from 'graphile-worker';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { Transactions } from '../database/transactions';
import { JobMetrics } from './job-metrics';
import { JOB_SCHEMA } from './job-schema';
import { JobTask, JobTasks } from './job-task';
import { JobsRepository } from './jobs.repository';
import { HEARTBEAT_EVERY_MS } from './stranded-jobs';

/** After SIGTERM, running jobs have this long to finish before they are aborted and handed back. */
export const JOB_SHUTDOWN_GRACE_MS = 10_000;
/** Jobs added by a create are picked up at once (LISTEN/NOTIFY); this only bounds retries' delay. */
const POLL_INTERVAL_MS = 1_000;

/**
 * Runs the registered job tasks in this process with graphile-worker, WORKER_CONCURRENCY at a
 * time (none at 0), on a pool of its own so that jobs never take the API's connections.
 */
@Injectable()
export class JobRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Jobs');
  private runner: Runner | null = null;
  private runnerId: string | null = null;
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(
    private readonly tasks: JobTasks,
    private readonly jobs: JobsRepository,
    private readonly metrics: JobMetrics,
    private readonly transactions: Transactions,
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap() {
    const concurrency = this.config.workerConcurrency;
    if (concurrency === 0 || this.tasks.all().length === 0) return;
    this.runner = await run({
      connectionString: (this.dataSource.options as { url: string }).url,
      maxPoolSize: concurrency + 2, // the LISTEN connection, and one to spare for completions
      concurrency,
      schema: JOB_SCHEMA,
      noHandleSignals: true, // main.ts owns the signals and stops us through Nest's shutdown
      pollInterval: POLL_INTERVAL_MS,
      gracefulShutdownAbortTimeout: JOB_SHUTDOWN_GRACE_MS,
      taskList: this.taskList(),
      events: this.events(),
      logger: this.graphileLogger(),
    });
  }

  async onApplicationShutdown() {
    if (this.heartbeat) clearInterval(this.heartbeat);
    await this.runner?.stop().catch((error: Error) => this.logger.warn(error.message));
    this.runner = null;
    if (this.runnerId)
      await this.jobs
        .forgetRunner(this.transactions.autocommit, this.runnerId)
        .catch(() => undefined);
  }

  private taskList(): TaskList {
    const list: TaskList = {};
    for (const task of this.tasks.all())
      list[task.name] = (payload, helpers) => runTask(task, payload as never, helpers);
    return list;
  }

  private events(): WorkerEvents {
    const events: WorkerEvents = new EventEmitter();
    events.on('pool:create', ({ workerPool }) => this.beat(workerPool.id));
    events.on('job:success', ({ job }) => this.finished(job, 'succeeded'));
    events.on('job:failed', ({ job }) => this.finished(job, 'failed'));
    events.on('job:error', ({ job, error }) =>
      this.logger.warn(
        `job ${job.task_identifier} #${job.id} failed (run ${job.attempts} of ${job.max_attempts}): ${(error as Error).message}`,
      ),
    );
    return events;
  }

  /** Says this runner is alive now and every HEARTBEAT_EVERY_MS; see StrandedJobs. */
  private beat(runnerId: string) {
    this.runnerId = runnerId;
    const write = () =>
      this.jobs
        .heartbeat(this.transactions.autocommit, runnerId)
        .catch((error: Error) =>
          this.logger.warn(`job runner heartbeat not written: ${error.message}`),
        );
    void write();
    this.heartbeat = setInterval(() => void write(), HEARTBEAT_EVERY_MS);
    this.heartbeat.unref();
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
async function runTask<Payload>(task: JobTask<Payload>, payload: Payload, helpers: JobHelpers) {
  const { attempts, max_attempts } = helpers.job;
  try {
    await task.run(payload, {
      attempt: attempts,
      maxAttempts: max_attempts,
      signal: helpers.abortSignal,
    });
  } catch (error) {
    if (attempts >= max_attempts) await task.gaveUp(payload, error as Error);
    throw error;
  }
}
