import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { LockKeys } from '../database/advisory-locks';
import { BatchedSweep } from '../database/batched-sweep';
import { Transactions } from '../database/transactions';
import { IdempotencyMetrics } from './idempotency-metrics';
import { IdempotencyRepository } from './idempotency.repository';

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
      lockKey: LockKeys.idempotencyExpiry,
      batch: async (tx) => {
        const deleted = await store.deleteExpired(tx, BATCH_SIZE);
        metrics.count('expired_deleted', deleted);
        return deleted;
      },
      warn: (message) => logger.warn(message),
    });
  }
}
