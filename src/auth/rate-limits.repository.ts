import { Injectable } from '@nestjs/common';
import { run, statement, Statement } from '../database/statement';
import { Tx } from '../database/transactions';

/**
 * Counts one request against `key`'s limit, all in one statement so that replicas counting at
 * once never lose a hit. Every SET expression reads the row as it was:
 * - blocked (`blocked_until` ahead): stays as it is, and the request is not counted;
 * - its window over, or its block over: a new window, this request its first hit;
 * - otherwise: one more hit, and the one past `limit` starts the block.
 */
const INCREMENT = statement(
  'RateLimitsRepository.increment',
  `
   INSERT INTO rate_limit_counters AS c (key, hits, window_ends_at)
   VALUES (:key::text, 1, now() + :ttlMs::integer * interval '1 millisecond')
   ON CONFLICT (key) DO UPDATE SET
     hits = CASE WHEN c.blocked_until > now() THEN c.hits
                 WHEN c.window_ends_at <= now() OR c.blocked_until IS NOT NULL THEN 1
                 ELSE c.hits + 1 END,
     window_ends_at = CASE WHEN c.blocked_until > now() THEN c.window_ends_at
                           WHEN c.window_ends_at <= now() OR c.blocked_until IS NOT NULL
                             THEN excluded.window_ends_at
                           ELSE c.window_ends_at END,
     blocked_until = CASE WHEN c.blocked_until > now() THEN c.blocked_until
                          WHEN c.window_ends_at > now() AND c.blocked_until IS NULL
                               AND c.hits >= :limit::integer
                            THEN now() + :blockMs::integer * interval '1 millisecond' END
   RETURNING hits,
             greatest(ceil(extract(epoch FROM window_ends_at - now())), 0)::integer
               AS seconds_to_window_end,
             coalesce(ceil(extract(epoch FROM blocked_until - now()) * 1000), 0)::integer
               AS ms_to_block_end`,
);

/** Counters whose window and block have both ended count for nothing: a new hit starts afresh. */
const DELETE_ENDED = statement(
  'RateLimitsRepository.deleteEnded',
  `
   WITH deleted AS (
     DELETE FROM rate_limit_counters WHERE key = ANY (ARRAY(
       SELECT key FROM rate_limit_counters
        WHERE window_ends_at <= now() AND (blocked_until IS NULL OR blocked_until <= now())
        LIMIT :batchSize FOR UPDATE SKIP LOCKED))
     RETURNING 1)
   SELECT count(*)::int AS deleted FROM deleted`,
);

export interface CounterState {
  /** Hits in the current window, this request's included when it was counted. */
  hits: number;
  secondsToWindowEnd: number;
  /** 0 unless the key is blocked. */
  msToBlockEnd: number;
}

interface CounterRow {
  hits: number;
  seconds_to_window_end: number;
  ms_to_block_end: number;
}

/** All SQL of the shared rate limits; the statements are in `sql/rate-limits.sql`. */
@Injectable()
export class RateLimitsRepository {
  static readonly statements: readonly Statement[] = [INCREMENT, DELETE_ENDED];

  async increment(
    tx: Tx,
    counter: { key: string; ttlMs: number; limit: number; blockMs: number },
  ): Promise<CounterState> {
    const [row] = await run<CounterRow>(tx, INCREMENT, counter);
    return {
      hits: row.hits,
      secondsToWindowEnd: row.seconds_to_window_end,
      msToBlockEnd: row.ms_to_block_end,
    };
  }

  /** Deletes up to `batchSize` ended counters (none another transaction holds): how many went. */
  async deleteEnded(tx: Tx, batchSize: number): Promise<number> {
    const [{ deleted }] = await run<{ deleted: number }>(tx, DELETE_ENDED, { batchSize });
    return deleted;
  }
}
