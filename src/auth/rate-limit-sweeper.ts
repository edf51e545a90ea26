import { Injectable, Logger } from '@nestjs/common';
import { LockKeys } from '../database/advisory-locks';
import { BatchedSweep } from '../database/batched-sweep';
import { Transactions } from '../database/transactions';
import { RateLimitsRepository } from './rate-limits.repository';

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
      lockKey: LockKeys.rateLimitExpiry,
      batch: (tx) => counters.deleteEnded(tx, BATCH_SIZE),
      warn: (message) => logger.warn(message),
    });
  }
}
