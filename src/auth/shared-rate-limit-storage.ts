import { Injectable } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { Transactions } from '../database/transactions';
import { RateLimitsRepository } from './rate-limits.repository';

/** What the library's guard reads of a count (its type is not exported at the package's root). */
type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** Blocks this process remembers at most; past it, those already ended are forgotten. */
const REMEMBERED_BLOCKS = 10_000;

/**
 * @nestjs/throttler's storage in PostgreSQL, so every replica counts against one budget: with
 * the library's in-memory default, N replicas allowed N times the limit. A fixed window per key
 * (the default keeps a log of every hit's time), so at a window's turn up to twice the limit can
 * pass within moments; past the limit the key is blocked for the block duration, as with the
 * default. No maintained PostgreSQL storage exists for the library (its community ones are Redis
 * and MongoDB, neither of which the service runs on).
 *
 * A block never ends early, so once the database has answered one, this process refuses the key
 * by itself until it ends: a flood from a blocked client costs no connection and no write.
 */
@Injectable()
export class SharedRateLimitStorage implements ThrottlerStorage {
  /** Key → when its block ends (this process's clock, from the database's remaining time). */
  private readonly blocks = new Map<string, number>();

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
    if (blockMs <= 0) throw new Error('a shared rate limit blocks for a while past its limit');
    const remembered = this.blockRemainingMs(key);
    if (remembered > 0) return blockedRecord(limit, remembered);
    const state = await this.counters.increment(this.transactions.autocommit, {
      key,
      ttlMs,
      limit,
      blockMs,
    });
    if (state.msToBlockEnd <= 0) {
      const timeToExpire = state.secondsToWindowEnd;
      return { totalHits: state.hits, timeToExpire, isBlocked: false, timeToBlockExpire: 0 };
    }
    this.remember(key, Date.now() + state.msToBlockEnd);
    return { ...blockedRecord(limit, state.msToBlockEnd), totalHits: state.hits };
  }

  private blockRemainingMs(key: string): number {
    const endsAt = this.blocks.get(key);
    if (endsAt === undefined) return 0;
    const remaining = endsAt - Date.now();
    if (remaining <= 0) this.blocks.delete(key);
    return remaining;
  }

  /**
   * Every block lasts a minute, so the map's order (insertion) is the order they end in: the
   * ended ones are at its front, and forgetting them stops at the first that has not.
   */
  private remember(key: string, endsAt: number) {
    const now = Date.now();
    for (const [other, otherEndsAt] of this.blocks) {
      if (otherEndsAt > now) break;
      this.blocks.delete(other);
    }
    if (this.blocks.size >= REMEMBERED_BLOCKS) return; // the database still refuses it
    this.blocks.set(key, endsAt);
  }
}

/** A blocked key's answer: `Retry-After` is the block's remaining seconds, rounded up. */
const blockedRecord = (limit: number, msToBlockEnd: number): ThrottlerStorageRecord => ({
  totalHits: limit + 1,
  timeToExpire: 0,
  isBlocked: true,
  timeToBlockExpire: Math.ceil(msToBlockEnd / 1000),
});
