import { RateLimitSweeper, SharedRateLimitStorage } from '../src/auth/shared-rate-limit-storage';
import { startTestAppOnOwnDatabase, TestAppOnOwnDatabase } from './support/test-app';

/**
 * The rate limits' counters in PostgreSQL, read through the storage the guard calls. Time is moved
 * by ageing a counter's row, never by waiting for it. A database of its own: the sweep's test
 * counts the whole table.
 */
describe('the shared rate-limit storage', () => {
  let app: TestAppOnOwnDatabase;
  let storage: SharedRateLimitStorage;
  const MINUTE_MS = 60_000;
  const BLOCK_MS = 30_000;
  /** One hit against a limit of 2 a minute, blocked for 30 s past it. */
  const hit = (key: string) => storage.increment(key, MINUTE_MS, 2, BLOCK_MS);
  const age = (key: string, column: 'window_ends_at' | 'blocked_until') =>
    app.dataSource.query(
      `UPDATE rate_limit_counters SET ${column} = now() - interval '1 second' WHERE key = $1`,
      [key],
    );
  const hitsOf = async (key: string) => {
    const rows = await app.dataSource.query<{ hits: number }[]>(
      `SELECT hits FROM rate_limit_counters WHERE key = $1`,
      [key],
    );
    return rows[0]?.hits;
  };

  beforeAll(async () => {
    app = await startTestAppOnOwnDatabase();
    storage = app.nest.get(SharedRateLimitStorage);
  });
  afterAll(() => app.close());

  it('counts up to the limit, blocks the hit past it for the block duration, and counts no blocked hit', async () => {
    expect(await hit('a')).toEqual({
      totalHits: 1,
      timeToExpire: 60,
      isBlocked: false,
      timeToBlockExpire: 0,
    });
    expect(await hit('a')).toMatchObject({ totalHits: 2, isBlocked: false });
    expect(await hit('a')).toMatchObject({ totalHits: 3, isBlocked: true, timeToBlockExpire: 30 });
    expect(await hit('a')).toMatchObject({ totalHits: 3, isBlocked: true });
    expect(await hitsOf('a')).toBe(3);
    expect(await hit('b')).toMatchObject({ totalHits: 1, isBlocked: false }); // keys apart
  });

  it('starts a new window once the block ends, even inside the old window', async () => {
    for (let i = 0; i < 3; i++) await hit('c');
    await age('c', 'blocked_until');
    expect(await hit('c')).toEqual({
      totalHits: 1,
      timeToExpire: 60,
      isBlocked: false,
      timeToBlockExpire: 0,
    });
  });

  it('starts a new window once the window ends', async () => {
    await hit('d');
    await hit('d');
    await age('d', 'window_ends_at');
    expect(await hit('d')).toMatchObject({ totalHits: 1, timeToExpire: 60, isBlocked: false });
  });

  it('loses no hit among increments at once (replicas counting together)', async () => {
    const records = await Promise.all(
      Array.from({ length: 40 }, () => storage.increment('e', MINUTE_MS, 100, BLOCK_MS)),
    );
    const counts = records.map((record) => record.totalHits).sort((a, b) => a - b);
    expect(counts).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('sweeps counters whose window and block have ended, and only those', async () => {
    await hit('ended');
    await age('ended', 'window_ends_at');
    for (let i = 0; i < 3; i++) await hit('blocked');
    await age('blocked', 'window_ends_at'); // its window is over, its block is not
    await hit('live');
    await app.nest.get(RateLimitSweeper).sweep();
    const keys = await app.dataSource.query<{ key: string }[]>(
      `SELECT key FROM rate_limit_counters`,
    );
    expect(keys.map(({ key }) => key)).toEqual(expect.arrayContaining(['blocked', 'live']));
    expect(keys.map(({ key }) => key)).not.toContain('ended');
  });
});
