/** How much the last answers count: about the last few dozen. */
const WEIGHT = 1 / 32;
/**
 * Reading a key first costs a create one more round trip (about a quarter of the CPU the full
 * pipeline costs a retry, measured on order creates), and saves a retry the pipeline: it pays
 * once more than a quarter of the creates are retries.
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
