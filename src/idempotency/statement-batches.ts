import { Gauge, Histogram, Registry } from 'prom-client';
import type { AppConfig } from '../config/app-config';
import { POOL_WAIT_MS } from '../database/data-source';
import { ServiceUnavailableError } from '../http/problem';
import { BatchLimits, Batches } from './create-batches';

/** The most items (creates, reads) in one statement: bounds its size and its batch's wait. */
export const MAX_BATCH = 50;

/**
 * A second statement of a kind starts beside the first only once the first has run this long. A
 * statement normally ends well within it, so under load the items that queue go in one statement
 * rather than two (fewer statements and commits, and two cores not split between two backends);
 * one held up on a lock holds up the rest for no longer than this.
 */
export const NEXT_STATEMENT_AFTER_MS = 20;

/**
 * How batched statements run, each kind on its own (see Batches): up to CREATE_CONCURRENCY at once
 * (batchedReads: READ_CONCURRENCY), another only beside ones that have gone
 * NEXT_STATEMENT_AFTER_MS; an item that waits as long as a pooled connection may be waited for
 * fails with a 503 naming what keeps the database busy (`busyWith`).
 */
export function statementBatchLimits(config: AppConfig, busyWith: string): BatchLimits {
  return {
    inFlight: config.createConcurrency,
    nextRunAfterMs: NEXT_STATEMENT_AFTER_MS,
    maxBatch: MAX_BATCH,
    maxWaitMs: POOL_WAIT_MS,
    waitedTooLong: () =>
      new ServiceUnavailableError(2, `The database is busy with ${busyWith}; retry later.`),
  };
}

/** How a batched read is watched on /metrics: its statements' sizes, and what waits for one. */
export interface ReadBatchMetrics {
  registry: Registry;
  /** A histogram: the statements run, by the items each carried. */
  sizes: { name: string; help: string };
  /** A gauge: the items waiting for a statement to finish, to go in the next. */
  waiting: { name: string; help: string };
}

/**
 * Single-row reads batched (see Batches): a read that finds none of its kind going runs alone
 * (`one`), those that arrive meanwhile together (`many`, a result per item in their order). As
 * statementBatchLimits, but up to READ_CONCURRENCY (the pool's size) at once: a read takes no
 * lock, so one that runs past NEXT_STATEMENT_AFTER_MS is slow (a table not in memory, a busy
 * disk), and reads beside it keep the backends' reads going in parallel. A read fails whole, for
 * none of its items in particular, and its items are not read again one by one (a database that
 * fails one would likely fail them all, each after its own wait).
 */
export function batchedReads<T, R>(
  read: { one(item: T): Promise<R>; many(items: readonly T[]): Promise<R[]> },
  config: AppConfig,
  busyWith: string,
  metrics: ReadBatchMetrics,
): Batches<T, R> {
  const limits = {
    ...statementBatchLimits(config, busyWith),
    inFlight: config.readConcurrency,
  };
  const sizes = new Histogram({
    ...metrics.sizes,
    buckets: [1, 2, 5, 10, 20, MAX_BATCH],
    registers: [metrics.registry],
  });
  const batches = new Batches<T, R>(
    {
      one: (item) => {
        sizes.observe(1);
        return read.one(item);
      },
      many: (items) => {
        sizes.observe(items.length);
        return read.many(items);
      },
      isItemFailure: () => false,
    },
    limits,
  );
  new Gauge({
    ...metrics.waiting,
    registers: [metrics.registry],
    collect() {
      this.set(batches.queued);
    },
  });
  return batches;
}
