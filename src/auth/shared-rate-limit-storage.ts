import { Injectable, Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import { BatchedSweep } from '../database/batched-sweep';
import { Transactions } from '../database/transactions';
import { RateLimitsRepository } from './rate-limits.repository';

/**
 * @nestjs/throttler's storage in PostgreSQL, so every replica counts against one budget: with
 * the library's in-memory default, N replicas allowed N times the limit. A fixed window per key
 * (the default keeps a log of every hit's time); past the limit the key is blocked for the block
 * duration, as with the default. No maintained PostgreSQL storage exists for the library (its
 * community ones are Redis and MongoDB, neither of which the service runs on).
 */
@Injectable()
export class SharedRateLimitStorage implements ThrottlerStorage {
  constructor(
    private readonly transactions: Transactions,
    private readonly counters: RateLimitsRepository,
  ) {}

  async increment(
    key: string,
    ttlMs: number,
    limit: number,
    blockMs: number,
  ): Promise<ThrottlerStorageRecord> {
    const state = await this.counters.increment(this.transactions.autocommit, {
      key,
      ttlMs,
      limit,
      blockMs,
    });
    return {
      totalHits: state.hits,
      timeToExpire: state.secondsToWindowEnd,
      isBlocked: state.secondsToBlockEnd > 0,
      timeToBlockExpire: state.secondsToBlockEnd,
    };
  }
}

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
