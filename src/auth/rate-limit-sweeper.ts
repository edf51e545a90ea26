import { Injectable, Logger } from '@nestjs/common';
import { BatchedSweep } from '../database/batched-sweep';
import { Transactions } from '../database/transactions';
import { RateLimitsRepository } from './rate-limits.repository';

/** Shared by every replica: whoever holds it deletes; the others skip that round. */
const SWEEP_LOCK_KEY = 7_283_006;
const SWEEP_EVERY_MS = 60_000;
const BATCH_SIZE = 500;

/** Deletes counters whose window and block have ended, one replica at a time. */
@Injectable()
export class RateLimitSweeper extends BatchedSweep {
  constructor(transactions: Transactions, counters: RateLimitsRepository) {
    const logger = new Logger(RateLimitSweeper.name);
    super(transactions, {
      what: 'ended rate-limit counters',
      everyMs: SWEEP_EVERY_MS,
      batchSize: BATCH_SIZE,
      batch: (tx) => counters.deleteEndedBatch(tx, SWEEP_LOCK_KEY, BATCH_SIZE),
      warn: (message) => logger.warn(message),
    });
  }
}
