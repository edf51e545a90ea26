import { RateLimitsRepository } from '../src/auth/rate-limits.repository';
import { RateLimitSweeper } from '../src/auth/rate-limit-sweeper';
import { SharedRateLimitStorage } from '../src/auth/shared-rate-limit-storage';
import { Transactions } from '../src/database/transactions';
import { startTestAppOnOwnDatabase, TestAppOnOwnDatabase } from './support/test-app';
import { waitFor } from './support/wait';

/**
 * The rate limits' counters in PostgreSQL, read through the storage the guards call. Each hit goes
 * through a storage of its own, as if every request reached another replica, unless a test is of
 * one process's memory. Time is moved by changing a counter's row, never by waiting for it. A
 * database of its own: the sweep's test reads the whole table.
 */
describe('the shared rate-limit storage', () => {
  let app: TestAppOnOwnDatabase;
  const MINUTE_MS = 60_000;
  const BLOCK_MS = 30_000;
  const replica = () =>
    new SharedRateLimitStorage(app.nest.get(Transactions), app.nest.get(RateLimitsRepository));
  /** One hit against a limit of 2 a minute, blocked for 30 s past it. */
  const hit = (key: string, storage = replica()) => storage.increment(key, MINUTE_MS, 2, BLOCK_MS);
  const setTime = (key: string, column: 'window_ends_at' | 'blocked_until', from = '-1 second') =>
    app.dataSource.query(
      `UPDATE rate_limit_counters SET ${column} = now() + $2::interval WHERE key = $1`,
      [key, from],
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
    expect(await hit('a')).toMatchObject({ isBlocked: true });
    expect(await hitsOf('a')).toBe(3);
    expect(await hit('b')).toMatchObject({ totalHits: 1, isBlocked: false }); // keys apart
  });

  it('never lengthens a block with the hits it refuses', async () => {
    for (let i = 0; i < 3; i++) await hit('blocked-once');
    await setTime('blocked-once', 'blocked_until', '5 seconds');
    expect(await hit('blocked-once')).toMatchObject({ isBlocked: true, timeToBlockExpire: 5 });
  });

  it('starts a new window once the block ends, even inside the old window', async () => {
    for (let i = 0; i < 3; i++) await hit('c');
    await setTime('c', 'blocked_until');
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
    await setTime('d', 'window_ends_at');
    expect(await hit('d')).toMatchObject({ totalHits: 1, timeToExpire: 60, isBlocked: false });
  });

  it('lets exactly the limit through among hits at once (replicas counting together), and loses none', async () => {
    const records = await Promise.all(
      Array.from({ length: 40 }, () => replica().increment('e', MINUTE_MS, 5, BLOCK_MS)),
    );
    expect(records.filter((record) => !record.isBlocked)).toHaveLength(5);
    expect(await hitsOf('e')).toBe(6); // the five, and the one that started the block
  });

  it('refuses a key it has seen blocked by itself until the block ends, without the database', async () => {
    const storage = replica();
    for (let i = 0; i < 3; i++) await hit('f', storage);
    await app.dataSource.query(`DELETE FROM rate_limit_counters WHERE key = 'f'`);
    expect(await hit('f', storage)).toMatchObject({ isBlocked: true, timeToBlockExpire: 30 });
    expect(await hitsOf('f')).toBeUndefined(); // not asked
    expect(await hit('f')).toMatchObject({ totalHits: 1, isBlocked: false }); // another replica
  });

  it('keeps the create probe per instance: its hits are never counted in the table', async () => {
    await app.http.post('/api/health/create-test').expect(201);
    const probes = await app.dataSource.query(
      `SELECT key FROM rate_limit_counters WHERE key LIKE 'create-probe:%'`,
    );
    expect(probes).toEqual([]);
  });

  it('sweeps counters whose window and block have ended, and only those', async () => {
    await hit('ended');
    await setTime('ended', 'window_ends_at');
    for (let i = 0; i < 3; i++) await hit('still-blocked');
    await setTime('still-blocked', 'window_ends_at'); // its window is over, its block is not
    await hit('live');
    const sweeper = app.nest.get(RateLimitSweeper);
    // A round of the app's own timer may hold the sweep's lock: sweep again until it is gone.
    const keys = await waitFor('the ended counter to be swept', async () => {
      await sweeper.sweep();
      const rows = await app.dataSource.query<{ key: string }[]>(
        `SELECT key FROM rate_limit_counters`,
      );
      const left = rows.map(({ key }) => key);
      return left.includes('ended') ? null : left;
    });
    expect(keys).toEqual(expect.arrayContaining(['still-blocked', 'live']));
  });
});
