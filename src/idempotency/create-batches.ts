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
   * How long every going run must have gone before another starts beside them. Under load one run
   * at a time then carries every item that arrived during it, while a run held up (on a lock)
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
 * `inFlight`) only once the youngest of them has gone `nextRunAfterMs`. So a lone item pays
 * nothing, and under load one statement and one commit serve many creates. One item's failure
 * fails its whole batch (a statement is all or nothing): its items then run alone, one after the
 * other in the batch's slot, so each gets its own answer and no more than `inFlight` runs go at
 * once. An item that waits `maxWaitMs` for its run (runs held up by a lock) fails, as a statement
 * waiting that long for a pooled connection would.
 */
export class Batches<T, R> {
  /** When each going run started, oldest first (`performance.now()`: no clock change moves it). */
  private readonly starts: number[] = [];
  private waiting: Waiting<T, R>[] = [];
  private expiry: NodeJS.Timeout | null = null;
  private nextRun: { timer: NodeJS.Timeout; due: number } | null = null;

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
      this.waiting.push({ item, since: performance.now(), resolve, reject });
      this.startRuns();
      this.watchOldest();
    });
  }

  /** Starts what may start now, else looks again once the youngest going run is old enough. */
  private startRuns() {
    while (this.waiting.length && this.starts.length < this.limits.inFlight) {
      const youngest = this.starts[this.starts.length - 1];
      const due = this.starts.length ? youngest + this.limits.nextRunAfterMs : 0;
      if (due > performance.now()) return this.lookAgainAt(due);
      void this.next();
    }
  }

  /** One timer, for the earliest time asked: a run that ends can bring the time forward. */
  private lookAgainAt(due: number) {
    if (this.nextRun && this.nextRun.due <= due) return;
    if (this.nextRun) clearTimeout(this.nextRun.timer);
    const timer = setTimeout(() => {
      this.nextRun = null;
      this.startRuns();
    }, due - performance.now());
    timer.unref();
    this.nextRun = { timer, due };
  }

  /** One timer at a time, for the item waiting longest: the others arrived after it. */
  private watchOldest() {
    if (this.expiry || !this.waiting.length) return;
    const due = this.waiting[0].since + this.limits.maxWaitMs - performance.now();
    this.expiry = setTimeout(
      () => {
        this.expiry = null;
        const now = performance.now();
        while (this.waiting.length && now - this.waiting[0].since >= this.limits.maxWaitMs)
          this.waiting.shift()!.reject(this.limits.waitedTooLong());
        this.watchOldest();
      },
      Math.max(due, 0),
    );
    this.expiry.unref();
  }

  private async next(): Promise<void> {
    const batch = this.takeBatch();
    const started = performance.now();
    this.starts.push(started);
    try {
      await this.settle(batch);
    } finally {
      this.starts.splice(this.starts.indexOf(started), 1);
      this.startRuns();
    }
  }

  /**
   * The next run's items, oldest first: the whole queue where it fits, a new queue started, so
   * the queue is an array that lives for one run. With one long-lived queue emptied by `splice`,
   * more of a batched read's objects reached V8's old generation under load (bench/README.md,
   * "What reaches the old generation"; why was not established).
   */
  private takeBatch(): Waiting<T, R>[] {
    if (this.waiting.length > this.limits.maxBatch)
      return this.waiting.splice(0, this.limits.maxBatch);
    const batch = this.waiting;
    this.waiting = [];
    return batch;
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
