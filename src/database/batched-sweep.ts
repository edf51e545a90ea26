import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { tryXactLock } from './advisory-locks';
import { Transactions, type Tx } from './transactions';

/** A pause between batches keeps each delete short and leaves the database to requests. */
const PAUSE_BETWEEN_BATCHES_MS = 50;

export interface SweepPlan {
  /** What the sweep is of, for its warning when a round fails. */
  what: string;
  everyMs: number;
  batchSize: number;
  /** Held through each batch's transaction (`LockKeys`): one replica sweeps, the others skip. */
  lockKey: number;
  /** One batch in its transaction, under the lock: how many rows went. */
  batch(tx: Tx): Promise<number>;
  warn(message: string): void;
}

/**
 * A background clean-up in small batches, one transaction each, every `everyMs`: one round at a
 * time, ended after its current batch at shutdown. Among replicas, whoever takes the plan's lock
 * for a batch sweeps; a replica that finds it taken ends its round. A feature's sweeper extends it
 * with its plan.
 */
export abstract class BatchedSweep implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private sweeping: Promise<unknown> | null = null;

  protected constructor(
    private readonly transactions: Transactions,
    private readonly plan: SweepPlan,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.sweeping ??= this.sweep()
        .catch((error: Error) => this.plan.warn(`${this.plan.what} not swept: ${error.message}`))
        .finally(() => (this.sweeping = null));
    }, this.plan.everyMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null; // ends a round in progress after its current batch
    await this.sweeping;
  }

  /** One round now: batches until one is not full or another replica sweeps; how many rows went. */
  async sweep(): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.transactions.run(async (tx) =>
        (await tryXactLock(tx, this.plan.lockKey)) ? this.plan.batch(tx) : null,
      );
      if (deleted === null) return total;
      total += deleted;
      if (deleted < this.plan.batchSize || this.timer === null) return total;
      await sleep(PAUSE_BETWEEN_BATCHES_MS);
    }
  }
}
