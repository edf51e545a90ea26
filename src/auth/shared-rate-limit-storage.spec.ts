import type { Transactions } from '../database/transactions';
import type { CounterState, RateLimitsRepository } from './rate-limits.repository';
import { SharedRateLimitStorage } from './shared-rate-limit-storage';

/** A storage whose database answers `state`, counting how often it was asked. */
function storageAnswering(state: CounterState) {
  const asked = { count: 0 };
  const counters = {
    increment: () => {
      asked.count++;
      return Promise.resolve(state);
    },
  } as unknown as RateLimitsRepository;
  const transactions = { autocommit: {} } as unknown as Transactions;
  return { storage: new SharedRateLimitStorage(transactions, counters), asked };
}

describe('SharedRateLimitStorage', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('answers a key the database blocked by itself until the block ends, then asks again', async () => {
    const { storage, asked } = storageAnswering({
      hits: 3,
      secondsToWindowEnd: 50,
      msToBlockEnd: 30_000,
    });
    expect(await storage.increment('k', 60_000, 2, 30_000)).toMatchObject({
      isBlocked: true,
      timeToBlockExpire: 30,
    });
    jest.setSystemTime(1_000_000 + 29_500);
    expect(await storage.increment('k', 60_000, 2, 30_000)).toMatchObject({
      isBlocked: true,
      timeToBlockExpire: 1,
    });
    expect(asked.count).toBe(1);
    jest.setSystemTime(1_000_000 + 30_000);
    await storage.increment('k', 60_000, 2, 30_000);
    expect(asked.count).toBe(2);
  });

  it('remembers nothing of a key that is not blocked', async () => {
    const { storage, asked } = storageAnswering({
      hits: 1,
      secondsToWindowEnd: 60,
      msToBlockEnd: 0,
    });
    expect(await storage.increment('k', 60_000, 2, 30_000)).toEqual({
      totalHits: 1,
      timeToExpire: 60,
      isBlocked: false,
      timeToBlockExpire: 0,
    });
    await storage.increment('k', 60_000, 2, 30_000);
    expect(asked.count).toBe(2);
  });

  it('refuses a limit without a block, which it cannot keep', async () => {
    const { storage } = storageAnswering({ hits: 1, secondsToWindowEnd: 60, msToBlockEnd: 0 });
    await expect(storage.increment('k', 60_000, 2, 0)).rejects.toThrow(/blocks/);
  });
});
