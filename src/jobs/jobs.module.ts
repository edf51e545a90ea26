import { Global, Module } from '@nestjs/common';
import { JobMetrics } from './job-metrics';
import { JobRunner } from './job-runner';
import { JobTasks } from './job-task';
import { JobsRepository } from './jobs.repository';
import { StrandedJobs } from './stranded-jobs';

/**
 * The background job runner (graphile-worker, in the service's PostgreSQL). Features register
 * their tasks with JobTasks and add jobs in their own create statements (`graphile_worker.add_job`).
 */
@Global()
@Module({
  providers: [JobTasks, JobsRepository, JobMetrics, JobRunner, StrandedJobs],
  exports: [JobTasks, JobsRepository],
})
export class JobsModule {}
