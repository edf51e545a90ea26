/** How a batch of items runs: alone, or many in one go that succeeds or fails as a whole. */
export interface BatchRunner<T, R> {
  one(item: T): Promise<R>;
  /** A result per item, in their order; a failure fails them all and writes nothing. */
  many(items: readonly T[]): Promise<R[]>;
}

export interface BatchLimits {
  /** Runs (of one item or many) at once; what arrives beyond them waits for the next. */
  inFlight: number;
  /** The most items in one run. */
  maxBatch: number;
}

interface Waiting<T, R> {
  item: T;
  resolve(result: R): void;
  reject(error: unknown): void;
}

/**
 * Runs items as they come while fewer than `inFlight` runs are going; the items that arrive
 * meanwhile wait, and go together in the next run, as one `many`. So a lone item pays nothing,
 * and under load one statement and one commit serve many creates. One item's failure fails its
 * whole batch (a statement is all or nothing): each of them is then run alone, so each gets its
 * own answer.
 */
export class Batches<T, R> {
  private running = 0;
  private readonly waiting: Waiting<T, R>[] = [];

  constructor(
    private readonly runner: BatchRunner<T, R>,
    private readonly limits: BatchLimits,
  ) {}

  /** Items waiting for a run. */
  get queued(): number {
    return this.waiting.length;
  }

  run(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (this.running < this.limits.inFlight) void this.next();
    });
  }

  private async next(): Promise<void> {
    const batch = this.waiting.splice(0, this.limits.maxBatch);
    this.running++;
    try {
      await this.settle(batch);
    } finally {
      this.running--;
      if (this.waiting.length) void this.next();
    }
  }

  private async settle(batch: Waiting<T, R>[]): Promise<void> {
    if (batch.length > 1) {
      const results = await this.runner
        .many(batch.map((waiting) => waiting.item))
        .catch(() => null);
      if (results) {
        batch.forEach((waiting, index) => waiting.resolve(results[index]));
        return;
      }
    }
    await Promise.all(
      batch.map((waiting) => this.runner.one(waiting.item).then(waiting.resolve, waiting.reject)),
    );
  }
}
