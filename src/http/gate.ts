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

  /** Runs `task` in a slot; a task still waiting when `signal` aborts leaves the line, rejected. */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) throw reasonOf(signal);
    if (this.running < this.limit) this.running++;
    else if (this.waiting.length >= this.maxWaiting) throw this.busy();
    else await this.turn(signal); // woken holding a slot
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  private turn(signal?: AbortSignal): Promise<void> {
    return new Promise((go, leave) => {
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        go();
      };
      const onAbort = () => {
        const place = this.waiting.indexOf(wake);
        if (place >= 0) this.waiting.splice(place, 1);
        leave(reasonOf(signal!));
      };
      this.waiting.push(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function reasonOf(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error('left the line');
}
