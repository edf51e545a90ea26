/**
 * Requests with the same key in this process queue here, so they reach the database one at a
 * time and only the first writes; the others find its stored answer (sign-up's deferred password
 * hash is computed only when no answer is stored). An optimisation only; correctness comes from the database, which
 * also orders replicas.
 */
export class InFlightRequests {
  private readonly running = new Map<string, Promise<unknown>>();

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
    const running = task();
    this.track(id, running);
    return { done: true, value: await running };
  }

  private track(id: string, running: Promise<unknown>) {
    this.running.set(id, running);
    const release = () => {
      if (this.running.get(id) === running) this.running.delete(id);
    };
    running.then(release, release);
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
