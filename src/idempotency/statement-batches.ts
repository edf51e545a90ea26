import type { AppConfig } from '../config/app-config';
import { POOL_WAIT_MS } from '../database/data-source';
import { ServiceUnavailableError } from '../http/problem';
import type { BatchLimits } from './create-batches';

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
 * How the idempotency store's batched statements run, each kind on its own (see Batches): up to
 * CREATE_CONCURRENCY at once, another only beside ones that have gone NEXT_STATEMENT_AFTER_MS; an
 * item that waits as long as a pooled connection may be waited for fails with a 503 naming what
 * keeps the database busy (`busyWith`).
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
