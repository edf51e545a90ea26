import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { BatchedSweep } from '../database/batched-sweep';
import { Transactions } from '../database/transactions';
import { IdempotencyMetrics } from './idempotency-metrics';
import { IdempotencyRepository } from './idempotency.repository';

/** Shared by every replica: whoever holds it sweeps; the others skip that round. */
const SWEEP_LOCK_KEY = 7_283_002;
const BATCH_SIZE = 500;

/** Deletes expired idempotency records in the background, in small batches, one replica at a time. */
@Injectable()
export class ExpirySweeper extends BatchedSweep {
  constructor(
    transactions: Transactions,
    store: IdempotencyRepository,
    metrics: IdempotencyMetrics,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    const logger = new Logger(ExpirySweeper.name);
    super(transactions, {
      what: 'expired idempotency keys',
      everyMs: config.idempotencySweepIntervalMs,
      batchSize: BATCH_SIZE,
      batch: async (tx) => {
        const deleted = await store.deleteExpiredBatch(tx, SWEEP_LOCK_KEY, BATCH_SIZE);
        if (deleted !== null) metrics.count('expired_deleted', deleted);
        return deleted;
      },
      warn: (message) => logger.warn(message),
    });
  }
}
