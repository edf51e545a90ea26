/** How a batch of items runs: alone, or many in one go that succeeds or fails as a whole. */
export interface BatchRunner<T, R> {
  one(item: T): Promise<R>;
  /** A result per item, in their order; a failure fails them all and writes nothing. */
  many(items: readonly T[]): Promise<R[]>;
  /** Whether a failure of `many` may be one item's doing, so each item is worth running alone. */
  isItemFailure(error: unknown): boolean;
}

export interface BatchLimits {
  /** Runs (of one item or many) at once; what arrives beyond them waits for the next. */
  inFlight: number;
  /**
   * How long after the latest run started another may start beside the going ones. Under load one
   * run at a time then carries every item that arrived during it, while a run held up (on a lock)
   * keeps the others waiting no longer than this.
   */
  nextRunAfterMs: number;
  /** The most items in one run. */
  maxBatch: number;
  /** The longest an item waits for a run to start, and what it then fails with. */
  maxWaitMs: number;
  waitedTooLong: () => Error;
}

interface Waiting<T, R> {
  item: T;
  since: number;
  resolve(result: R): void;
  reject(error: unknown): void;
}

/**
 * Runs an item at once when no run is going; the items that arrive meanwhile wait, and go
 * together in the next run, as one `many`. Another run starts beside the going ones (up to
 * `inFlight`) only once the latest has gone `nextRunAfterMs`. So a lone item pays nothing, and
 * under load one statement and one commit serve many creates. One item's failure fails its
 * whole batch (a statement is all or nothing): its items then run alone, one after the other in
 * the batch's slot, so each gets its own answer and no more than `inFlight` runs go at once. An
 * item that waits `maxWaitMs` for its run (runs held up by a lock) fails, as a statement waiting
 * that long for a pooled connection would.
 */
export class Batches<T, R> {
  private running = 0;
  private readonly waiting: Waiting<T, R>[] = [];
  private expiry: NodeJS.Timeout | null = null;
  private latestStart = 0;
  private nextRunTimer: NodeJS.Timeout | null = null;

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
      this.waiting.push({ item, since: Date.now(), resolve, reject });
      this.startRuns();
      this.watchOldest();
    });
  }

  /** Starts what may start now, and otherwise looks again when the latest run is old enough. */
  private startRuns() {
    while (this.waiting.length && this.running < this.limits.inFlight) {
      const wait = this.running ? this.latestStart + this.limits.nextRunAfterMs - Date.now() : 0;
      if (wait > 0) return this.lookAgainIn(wait);
      void this.next();
    }
  }

  private lookAgainIn(ms: number) {
    if (this.nextRunTimer) return;
    this.nextRunTimer = setTimeout(() => {
      this.nextRunTimer = null;
      this.startRuns();
    }, ms);
    this.nextRunTimer.unref();
  }

  /** One timer at a time, for the item waiting longest: the others arrived after it. */
  private watchOldest() {
    if (this.expiry || !this.waiting.length) return;
    const due = this.waiting[0].since + this.limits.maxWaitMs - Date.now();
    this.expiry = setTimeout(
      () => {
        this.expiry = null;
        const now = Date.now();
        while (this.waiting.length && now - this.waiting[0].since >= this.limits.maxWaitMs)
          this.waiting.shift()!.reject(this.limits.waitedTooLong());
        this.watchOldest();
      },
      Math.max(due, 0),
    );
    this.expiry.unref();
  }

  private async next(): Promise<void> {
    const batch = this.waiting.splice(0, this.limits.maxBatch);
    this.running++;
    this.latestStart = Date.now();
    try {
      await this.settle(batch);
    } finally {
      this.running--;
      this.startRuns();
    }
  }

  /** Never rejects: every item of `batch` is settled, whatever the runner does. */
  private async settle(batch: Waiting<T, R>[]): Promise<void> {
    if (batch.length > 1) {
      try {
        const results = await this.manyOf(batch);
        batch.forEach((waiting, index) => waiting.resolve(results[index]));
        return;
      } catch (error) {
        if (!this.runner.isItemFailure(error)) {
          for (const waiting of batch) waiting.reject(error);
          return;
        }
      }
    }
    for (const waiting of batch)
      await attempt(() => this.runner.one(waiting.item)).then(waiting.resolve, waiting.reject);
  }

  private async manyOf(batch: Waiting<T, R>[]): Promise<R[]> {
    const results = await this.runner.many(batch.map((waiting) => waiting.item));
    if (results.length !== batch.length)
      throw new Error(`a batch of ${batch.length} answered ${results.length} results`);
    return results;
  }
}

/** `run()`'s promise; as an async function's, a synchronous throw becomes a rejection. */
async function attempt<X>(run: () => Promise<X>): Promise<X> {
  return run();
}
