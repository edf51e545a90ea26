/**
 * Runs at most `limit` tasks at a time; the others wait in arrival order, at most `maxWaiting` of
 * them (more: `busy()` is thrown at once). A finishing task hands its slot straight to the next
 * waiter, so a newcomer cannot take it in between.
 */
export class Gate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly limit: number,
    private readonly maxWaiting: number,
    private readonly busy: () => Error,
  ) {}

  /** Tasks waiting for a slot now. */
  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running < this.limit) this.running++;
    else if (this.waiting.length >= this.maxWaiting) throw this.busy();
    else await new Promise<void>((go) => this.waiting.push(go)); // woken holding a slot
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
