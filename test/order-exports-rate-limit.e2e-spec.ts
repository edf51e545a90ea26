import { randomUUID } from 'node:crypto';
import { postExport } from './support/order-exports';
import { startTestApp, TestApp } from './support/test-app';
import { expectProblem, signUpAndIn, SignedUpUser } from './support/users';

describe('EXPORT_RATE_LIMIT on POST /api/order-exports', () => {
  let first: TestApp;
  let second: TestApp;
  let unlimited: TestApp;
  beforeAll(async () => {
    [first, unlimited] = await Promise.all([
      startTestApp({ EXPORT_RATE_LIMIT: '2' }),
      startTestApp({ EXPORT_RATE_LIMIT: '0' }),
    ]);
    second = await startTestApp({ EXPORT_RATE_LIMIT: '2' }); // another replica, one database
  });
  afterAll(() => Promise.all([first.close(), second.close(), unlimited.close()]));

  const exportsOf = async (user: SignedUpUser) =>
    (
      await first.dataSource.query<{ n: number }[]>(
        'SELECT count(*)::int AS n FROM order_exports WHERE user_id = $1',
        [user.id],
      )
    )[0].n;

  it("answers 429 rate_limited with Retry-After past the user's budget at any replica, and writes nothing", async () => {
    const user = await signUpAndIn(first);
    await postExport(first, user, { format: 'csv' }).expect(202);
    await postExport(second, user, { format: 'csv' }).expect(202);
    const key = randomUUID();
    const refused = await postExport(first, user, { format: 'csv' }, key);
    expectProblem(refused, 429, 'rate_limited');
    expect(refused.body.detail).toBe(
      'At most 2 exports a minute for one user; retry after Retry-After seconds.',
    );
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(59); // a fresh block
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    expectProblem(await postExport(second, user, { format: 'csv' }), 429, 'rate_limited');
    expect(await exportsOf(user)).toBe(2);
  });

  it('stores nothing under the key of a refused request: sent again once the block ends, it makes the export', async () => {
    const user = await signUpAndIn(first);
    for (let i = 0; i < 2; i++) await postExport(first, user, { format: 'csv' }).expect(202);
    const key = randomUUID();
    expectProblem(await postExport(first, user, { format: 'csv' }, key), 429, 'rate_limited');
    await first.dataSource.query(
      `UPDATE rate_limit_counters SET blocked_until = now() - interval '1 second' WHERE key = $1`,
      [`order-exports:default:${user.id}`],
    );
    // The other replica, which has not seen the block (the first remembers it until it ends).
    const made = await postExport(second, user, { format: 'csv' }, key).expect(202);
    expect(made.headers['idempotent-replayed']).toBeUndefined();
    await postExport(second, user, { format: 'csv' }, key)
      .expect(202)
      .expect('Idempotent-Replayed', 'true');
    expect(await exportsOf(user)).toBe(3);
  });

  it('replays a completed export to its retry while the user is blocked, counting nothing', async () => {
    const user = await signUpAndIn(first);
    const key = randomUUID();
    const made = await postExport(first, user, { format: 'csv' }, key).expect(202);
    await postExport(first, user, { format: 'csv' }).expect(202);
    expectProblem(await postExport(first, user, { format: 'csv' }), 429, 'rate_limited');
    const counted = async () =>
      (
        await first.dataSource.query<{ hits: number }[]>(
          'SELECT hits FROM rate_limit_counters WHERE key = $1',
          [`order-exports:default:${user.id}`],
        )
      )[0].hits;
    const hitsBefore = await counted();
    for (const replica of [first, second]) {
      const replayed = await postExport(replica, user, { format: 'csv' }, key)
        .expect(202)
        .expect('Idempotent-Replayed', 'true');
      expect(replayed.body.id).toBe(made.body.id);
    }
    expect(await counted()).toBe(hitsBefore);
  });

  it('answers 401 without a token (the limit never sees it)', async () => {
    expectProblem(
      await first.http.post('/api/order-exports').send({ format: 'csv' }),
      401,
      'unauthorized',
    );
  });

  it('is a budget per user: one at its limit leaves the others theirs', async () => {
    const [busy, other] = [await signUpAndIn(first), await signUpAndIn(first)];
    for (let i = 0; i < 2; i++) await postExport(first, busy, { format: 'csv' }).expect(202);
    expectProblem(await postExport(first, busy, { format: 'csv' }), 429, 'rate_limited');
    await postExport(first, other, { format: 'csv' }).expect(202);
  });

  it('is off with EXPORT_RATE_LIMIT=0', async () => {
    const user = await signUpAndIn(unlimited);
    for (let i = 0; i < 4; i++) await postExport(unlimited, user, { format: 'csv' }).expect(202);
  });
});
