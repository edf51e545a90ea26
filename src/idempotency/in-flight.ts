/**
 * Requests with the same key in this process queue here, so they reach the database one at a
 * time and only the first writes; the others find its stored answer (sign-up's deferred password
 * hash is computed only when no answer is stored). An optimisation only; correctness comes from the database, which
 * also orders replicas.
 */
export class InFlightRequests {
  /**
   * Each key's turn, settled when its holder is done: a promise of its own rather than the task's,
   * so the map, long-lived, never holds a request's own promise chain. Without the map at all,
   * a smaller share of the bytes a create allocates was promoted into V8's old generation under
   * load (bench/README.md, "What reaches the old generation"; why was not established).
   */
  private readonly running = new Map<string, Promise<void>>();

  /**
   * Waits up to `waitMs` for the requests holding `id` in this process to finish, one after the
   * other, then runs `task` as the new holder. False when a holder is still running at the
   * deadline; `task` has not run then.
   */
  async runAfterCurrent<T>(
    id: string,
    waitMs: number,
    task: () => Promise<T>,
  ): Promise<{ done: true; value: T } | { done: false }> {
    const deadline = Date.now() + waitMs;
    // A settled holder may already have been followed by another waiter: wait for that one too.
    for (let current = this.running.get(id); current; current = this.running.get(id)) {
      if (!(await settlesWithin(current, deadline - Date.now()))) return { done: false };
    }
    let finished!: () => void;
    const turn = new Promise<void>((resolve) => (finished = resolve));
    this.running.set(id, turn);
    try {
      return { done: true, value: await task() };
    } finally {
      if (this.running.get(id) === turn) this.running.delete(id);
      finished();
    }
  }
}

function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    const settled = () => {
      clearTimeout(timer);
      resolve(true);
    };
    promise.then(settled, settled);
  });
}
