/** How much the last answers count: about the last few dozen. */
const WEIGHT = 1 / 32;
/**
 * Reading a key first costs every create one more round trip, and saves a retry the full
 * pipeline: it pays once retries are a larger share of creates than the round trip's cost is of
 * the pipeline's, the ratio measured on order creates (bench/README.md, the adaptive retry share).
 */
const THRESHOLD = 0.25;

/**
 * How many of a process's recent keyed creates were retries it did not remember, as an
 * exponentially weighted average. Further retries of a key this process has replayed are
 * answered from memory and do not count. Usually the rest are few, and a create is best sent
 * straight to the one statement that both writes and finds a key. When they are common (a retry
 * storm at a replica after an outage, or a replica taking over another's clients), reading the
 * key first pays.
 */
export class RetryShare {
  private share = 0;

  record(wasRetry: boolean) {
    this.share += WEIGHT * ((wasRetry ? 1 : 0) - this.share);
  }

  get retriesAreCommon(): boolean {
    return this.share >= THRESHOLD;
  }
}
