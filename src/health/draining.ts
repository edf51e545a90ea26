import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The first step of a graceful stop. For `SHUTDOWN_DELAY` the process keeps serving while
 * `/health/ready` answers 503 and every answer closes its connection, so load balancers take the
 * replica out and keep-alive clients reconnect elsewhere before it stops accepting; then the
 * server closes and in-flight requests finish.
 */
@Injectable()
export class Draining {
  private draining = false;

  get active(): boolean {
    return this.draining;
  }

  /** Marks the process draining and resolves once `delayMs` has passed. */
  async drainFor(delayMs: number): Promise<void> {
    this.draining = true;
    if (delayMs > 0) await sleep(delayMs);
  }
}
