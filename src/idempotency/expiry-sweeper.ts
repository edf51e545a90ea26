import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { Transactions } from '../database/transactions';
import { IdempotencyMetrics } from './idempotency-metrics';
import { IdempotencyRepository } from './idempotency.repository';

/** Shared by every replica: whoever holds it sweeps; the others skip that round. */
const SWEEP_LOCK_KEY = 7_283_002;
const BATCH_SIZE = 500;
/** A pause between batches keeps each delete short and leaves the database to requests. */
const PAUSE_BETWEEN_BATCHES_MS = 50;

/** Deletes expired idempotency records in the background, in small batches, one replica at a time. */
@Injectable()
export class ExpirySweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ExpirySweeper.name);
  private timer: NodeJS.Timeout | null = null;
  private sweeping: Promise<unknown> | null = null;

  constructor(
    private readonly transactions: Transactions,
    private readonly store: IdempotencyRepository,
    private readonly metrics: IdempotencyMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap() {
    this.timer = setInterval(() => {
      this.sweeping ??= this.sweep()
        .catch((error: Error) =>
          this.logger.warn(`expired idempotency keys not swept: ${error.message}`),
        )
        .finally(() => (this.sweeping = null));
    }, this.config.idempotencySweepIntervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null; // ends a sweep in progress after its current batch
    await this.sweeping;
  }

  /** One round: batches until nothing expired is left or another replica holds the lock. */
  async sweep(): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.transactions.run((tx) =>
        this.store.deleteExpiredBatch(tx, SWEEP_LOCK_KEY, BATCH_SIZE),
      );
      if (deleted === null) return total;
      total += deleted;
      this.metrics.count('expired_deleted', deleted);
      if (deleted < BATCH_SIZE || this.timer === null) return total;
      await sleep(PAUSE_BETWEEN_BATCHES_MS);
    }
  }
}
