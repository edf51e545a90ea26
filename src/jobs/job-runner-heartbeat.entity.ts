import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A live job runner (one graphile-worker pool) says it is alive here every few seconds. Jobs
 * locked by a runner that stopped saying so are handed back to the queue (StrandedJobs).
 */
@Entity({ name: 'job_runner_heartbeats' })
export class JobRunnerHeartbeat {
  /** graphile-worker's pool id: what its jobs' `locked_by` holds. */
  @PrimaryColumn('text', {
    name: 'runner_id',
    primaryKeyConstraintName: 'job_runner_heartbeats_pkey',
  })
  runnerId: string;

  @Column('timestamptz', { name: 'seen_at' })
  seenAt: Date;
}
