/**
 * How many of a process's recent keyed creates were retries, as an exponentially weighted average
 * (the last few dozen count most). Usually few are, and a create is best sent straight to the one
 * statement that both writes and finds a key. When retries are common (a retry storm after an
 * outage, or a replica taking over another's clients), looking the key up first pays: a lookup
 * costs a create about a fifth of what the full pipeline costs a retry, hence the threshold.
 */
export class RetryShare {
  private share = 0;

  constructor(
    private readonly weight = 1 / 32,
    private readonly threshold = 0.25,
  ) {}

  record(wasRetry: boolean) {
    this.share += this.weight * ((wasRetry ? 1 : 0) - this.share);
  }

  get retriesAreCommon(): boolean {
    return this.share >= this.threshold;
  }
}
