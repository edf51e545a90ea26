import { Injectable } from '@nestjs/common';
import { run, statement, Statement } from '../database/statement';
import { Tx } from '../database/transactions';

const HEARTBEAT = statement(
  'JobsRepository.heartbeat',
  `
   INSERT INTO job_runner_heartbeats (runner_id, seen_at) VALUES (:runnerId, now())
   ON CONFLICT (runner_id) DO UPDATE SET seen_at = now()`,
);

/**
 * A runner that has stopped: any job it still holds (one fetched as it stopped) goes back to the
 * queue now, rather than when its heartbeat would have gone stale.
 */
const RELEASE_RUNNER = statement(
  'JobsRepository.releaseRunner',
  `
   WITH forgotten AS (
     DELETE FROM job_runner_heartbeats WHERE runner_id = :runnerId RETURNING 1)
   SELECT graphile_worker.force_unlock_workers(ARRAY[:runnerId::text]),
          (SELECT count(*) FROM forgotten) AS forgotten`,
);

/**
 * Jobs locked by a runner without a recent heartbeat, and locked for longer than that too (so a
 * runner that has just started and not yet written its first heartbeat keeps its jobs), go back
 * to the queue; their runners' heartbeats are forgotten. graphile-worker itself would only
 * unlock them after four hours. Those whose lost run was their last (graphile-worker counts a run
 * when it takes the job) will not run again: they are returned, for their tasks to give up on.
 */
const RELEASE_STRANDED = statement(
  'JobsRepository.releaseStranded',
  `
   WITH stale AS (
     SELECT array_agg(DISTINCT j.locked_by) AS runners
       FROM graphile_worker.jobs j
      WHERE j.locked_by IS NOT NULL
        AND j.locked_at < now() - :deadAfterMs::integer * interval '1 millisecond'
        AND NOT EXISTS (
              SELECT 1 FROM job_runner_heartbeats h
               WHERE h.runner_id = j.locked_by
                 AND h.seen_at > now() - :deadAfterMs::integer * interval '1 millisecond')),
   exhausted AS (
     SELECT j.id::text AS id, t.identifier AS task, j.payload, NULL AS "lastError"
       FROM graphile_worker._private_jobs j
       JOIN graphile_worker._private_tasks t ON t.id = j.task_id, stale
      WHERE j.locked_by = ANY (stale.runners) AND j.attempts >= j.max_attempts
        AND j.key IS NOT NULL),
   released AS (
     SELECT graphile_worker.force_unlock_workers(runners) FROM stale WHERE runners IS NOT NULL),
   forgotten AS (
     DELETE FROM job_runner_heartbeats
      WHERE seen_at < now() - :deadAfterMs::integer * interval '1 millisecond'
     RETURNING 1)
   SELECT coalesce(array_length(runners, 1), 0) AS runners,
          (SELECT coalesce(json_agg(exhausted), '[]') FROM exhausted) AS exhausted,
          (SELECT count(*) FROM released) AS released,
          (SELECT count(*) FROM forgotten) AS forgotten
     FROM stale`,
);

/** A job (`j`) failed for good (not locked, every allowed run used) that still holds its key. */
const FAILED_UNDER_KEY =
  'j.locked_at IS NULL AND j.attempts >= j.max_attempts AND j.key IS NOT NULL';

/**
 * Jobs failed for good under their key (FAILED_UNDER_KEY), by id after `after`. The jobs view
 * leaves the payload out; the tables are graphile-worker's pinned schema's.
 */
const FAILED = statement(
  'JobsRepository.failed',
  `
   SELECT j.id::text AS id, t.identifier AS task, j.payload, j.last_error AS "lastError"
     FROM graphile_worker._private_jobs j
     JOIN graphile_worker._private_tasks t ON t.id = j.task_id
    WHERE ${FAILED_UNDER_KEY} AND j.id > :after::bigint
    ORDER BY j.id
    LIMIT :limit`,
);

/** Whether the job is still failed for good under its key (see FAILED). */
const STILL_FAILED = statement(
  'JobsRepository.stillFailed',
  `
   SELECT EXISTS (
     SELECT 1 FROM graphile_worker._private_jobs j WHERE j.id = :id::bigint AND ${FAILED_UNDER_KEY}
   ) AS failed`,
);

/** A runner's jobs locked for longer than a running job can be without being in its heartbeat. */
const LOCKED_BY = statement(
  'JobsRepository.lockedBy',
  `
   SELECT id FROM graphile_worker.jobs
    WHERE locked_by = :runnerId AND locked_at < now() - :olderThanMs::integer * interval '1 millisecond'`,
);

const COUNTS = statement(
  'JobsRepository.counts',
  `
   SELECT count(*) FILTER (WHERE locked_at IS NULL AND attempts < max_attempts) AS queued,
          count(*) FILTER (WHERE locked_at IS NOT NULL) AS running,
          count(*) FILTER (WHERE locked_at IS NULL AND attempts >= max_attempts) AS failed,
          coalesce(extract(epoch FROM now() - min(run_at) FILTER (
            WHERE locked_at IS NULL AND attempts < max_attempts AND run_at <= now())), 0)
            AS oldest_due_age
     FROM graphile_worker.jobs`,
);

const SCHEMA_VERSION = statement(
  'JobsRepository.schemaVersion',
  `
   SELECT max(id) AS version FROM graphile_worker.migrations`,
);

/** A job failed for good, as its task's `gaveUp` is given it. */
export interface FailedJob {
  id: string;
  task: string;
  payload: unknown;
  lastError: string | null;
}

export interface ReleasedJobs {
  runners: number;
  /** Those whose lost run was their last. */
  exhausted: FailedJob[];
}

const NONE_RELEASED: ReleasedJobs = { runners: 0, exhausted: [] };

export interface JobCounts {
  queued: number;
  running: number;
  failed: number;
  /**
   * Seconds the longest-waiting job has been due (its `run_at` passed: a new job, or a retry whose
   * back-off is over) without a runner taking it; 0 with none.
   */
  oldestDueAgeSeconds: number;
}

/** SQL about the job queue beyond what graphile-worker runs itself. */
@Injectable()
export class JobsRepository {
  static readonly statements: Statement[] = [
    HEARTBEAT,
    RELEASE_RUNNER,
    RELEASE_STRANDED,
    FAILED,
    STILL_FAILED,
    LOCKED_BY,
    COUNTS,
    SCHEMA_VERSION,
  ];

  async heartbeat(tx: Tx, runnerId: string): Promise<void> {
    await run(tx, HEARTBEAT, { runnerId });
  }

  async releaseRunner(tx: Tx, runnerId: string): Promise<void> {
    await run(tx, RELEASE_RUNNER, { runnerId });
  }

  /** How many dead runners' jobs went back to the queue, and those of them that will not run again. */
  async releaseStranded(tx: Tx, deadAfterMs: number): Promise<ReleasedJobs> {
    const [row] = await run<{ runners: number; exhausted: FailedJob[] }>(tx, RELEASE_STRANDED, {
      deadAfterMs,
    });
    return row ? { runners: Number(row.runners), exhausted: row.exhausted } : NONE_RELEASED;
  }

  /** Up to `limit` jobs failed for good with ids after `after`, in id order. */
  failed(tx: Tx, after: string, limit: number): Promise<FailedJob[]> {
    return run<FailedJob>(tx, FAILED, { after, limit });
  }

  async stillFailed(tx: Tx, id: string): Promise<boolean> {
    const [row] = await run<{ failed: boolean }>(tx, STILL_FAILED, { id });
    return row.failed;
  }

  async lockedBy(tx: Tx, runnerId: string, olderThanMs: number): Promise<string[]> {
    const rows = await run<{ id: string }>(tx, LOCKED_BY, { runnerId, olderThanMs });
    return rows.map((row) => row.id);
  }

  async counts(tx: Tx): Promise<JobCounts> {
    const [row] = await run<Record<'queued' | 'running' | 'failed' | 'oldest_due_age', string>>(
      tx,
      COUNTS,
      {},
    );
    return {
      queued: Number(row.queued),
      running: Number(row.running),
      failed: Number(row.failed),
      oldestDueAgeSeconds: Number(row.oldest_due_age),
    };
  }

  async schemaVersion(tx: Tx): Promise<number | null> {
    const [row] = await run<{ version: number | null }>(tx, SCHEMA_VERSION, {});
    return row.version;
  }
}
