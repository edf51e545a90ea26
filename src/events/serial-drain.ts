/**
 * Runs a drain (work until nothing is left) on demand, never two at once: a wake-up during a run
 * makes one more run after it, so that what arrived meanwhile is never left waiting.
 */
export class SerialDrain {
  private running: Promise<void> | null = null;
  private again = false;
  private stopping = false;

  constructor(
    private readonly drain: () => Promise<void>,
    private readonly onError: (error: Error) => void,
  ) {}

  /** True once `stop` was called: a drain checks it between batches. */
  get stopped(): boolean {
    return this.stopping;
  }

  /** Runs now, or once more after the run in progress. */
  wake(): void {
    if (this.stopping) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch(this.onError)
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** No more runs; resolves when the one in progress has ended. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
  }
}
