import type { Tx } from '../database/transactions';
import { problemOutcome } from '../http/outcome';
import { ServiceUnavailableError } from '../http/problem';
import {
  AUTOCOMMIT,
  BUSY,
  CONFLICTS,
  CREATED,
  errorOf,
  exists,
  FIRST,
  keyed,
  plan,
  setup,
  STATEMENT,
  stored,
  taken,
  violationOf,
  WAIT_MS,
  WRITTEN,
} from './create-executor.fixtures';
import { IdempotencyKeyInUseError, IdempotencyKeyReusedError } from './idempotency.errors';
import type { ClaimResult } from './idempotency.repository';

/**
 * The executor's pauses between the claims of a busy key come from node:timers/promises, which
 * Jest's fake timers do not replace: here they go through the global setTimeout, so the cases
 * that wait for a busy key run on fake time (jest.useFakeTimers) rather than sleeping.
 */
jest.mock('node:timers/promises', () => ({
  ...jest.requireActual<object>('node:timers/promises'),
  setTimeout: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
}));

describe('CreateExecutor.execute', () => {
  it('without a key, writes the unkeyed statement once, its Deferred values computed', async () => {
    const { store, executor, deferred } = setup();
    const tx = { name: 'probe' } as unknown as Tx;
    expect(await executor.execute(null, plan(deferred()), tx)).toEqual({
      outcome: CREATED,
      replayed: false,
    });
    expect(store.calls).toEqual([
      { method: 'write', tx, statement: STATEMENT.unkeyed, values: { a: 1, hash: 'computed' } },
    ]);
  });

  it('writes a free key with its answer in the keyed statement: the outcome, not replayed, stored', async () => {
    const { store, metrics, executor } = setup();
    expect(await executor.execute(keyed(), plan())).toEqual({ outcome: CREATED, replayed: false });
    const [claim] = store.calls;
    expect(store.calls).toHaveLength(1);
    expect(claim).toMatchObject({ method: 'claim', tx: AUTOCOMMIT, statement: STATEMENT.keyed });
    expect(claim.values).toMatchObject({
      ...keyed().scope,
      a: 1,
      fingerprint: stored().fingerprint,
      responseStatus: 201,
      responseHeaders: CREATED.headers,
      responseBody: CREATED.body,
      lockId: expect.stringMatching(/^-?\d+$/),
    });
    expect(metrics.snapshot()).toMatchObject({ stored: 1, replayed: 0 });
  });

  it('counts a create its caller rolls back (the synthetic probe) as no stored key', async () => {
    const { store, metrics, executor } = setup();
    const probe = { ...keyed(), rolledBack: true as const };
    expect(await executor.execute(probe, plan())).toEqual({ outcome: CREATED, replayed: false });
    expect(store.calls).toMatchObject([{ method: 'claim' }]);
    expect(metrics.snapshot()).toMatchObject({ stored: 0, replayed: 0 });
  });

  it("binds the key's own scope and answer even where the feature's values carry the same names", async () => {
    const { store, executor } = setup();
    const values = { a: 1, key: 'not-the-key', responseStatus: 500 };
    await executor.execute(keyed('k7'), plan({ values }));
    expect(store.called('claim')[0].values).toMatchObject({ a: 1, key: 'k7', responseStatus: 201 });
  });

  it('waits for a busy key with no connection held, then replays its answer', async () => {
    jest.useFakeTimers();
    try {
      const { store, metrics, executor } = setup();
      store.claims = [BUSY, BUSY, exists()];
      const started = Date.now();
      const executed = executor.execute(keyed(), plan());
      await jest.runAllTimersAsync();
      expect(await executed).toEqual({ outcome: FIRST, replayed: true });
      expect(Date.now() - started).toBe(30); // paused 10 ms, then 20 ms
      expect(store.called('claim')).toHaveLength(3); // three statements, none left open in between
      expect(store.maxRunning).toBe(1);
      expect(metrics.snapshot()).toMatchObject({ stored: 0, replayed: 1 });
    } finally {
      jest.useRealTimers();
    }
  });

  it('answers 409 with Retry-After once the key is still busy at the deadline', async () => {
    jest.useFakeTimers();
    try {
      const { store, metrics, executor } = setup();
      store.claims = [BUSY];
      const started = Date.now();
      const error = errorOf(executor.execute(keyed(), plan()));
      await jest.runAllTimersAsync();
      expect(await error).toBeInstanceOf(IdempotencyKeyInUseError);
      expect(await error).toMatchObject({ status: 409, headers: { 'Retry-After': '1' } });
      expect(Date.now() - started).toBe(WAIT_MS);
      expect(store.called('claim')).toHaveLength(4); // at 0, 10 and 30 ms, and at the deadline
      expect(metrics.snapshot().in_flight_conflict).toBe(1);
    } finally {
      jest.useRealTimers();
    }
  });

  it('stores a business rejection (< 500) as the key answer and answers it', async () => {
    const { store, metrics, executor } = setup();
    store.claims = [violationOf('things_name_key')];
    const executed = await executor.execute(keyed(), plan({ conflicts: CONFLICTS }));
    const problem = problemOutcome(taken());
    expect(executed).toEqual({ outcome: problem, replayed: false });
    expect(executed.outcome.status).toBe(409);
    expect(store.called('claimForRejection')).toHaveLength(1);
    expect(store.called('claimForRejection')[0].values).toMatchObject({
      ...keyed().scope,
      fingerprint: stored().fingerprint,
      responseStatus: 409,
      responseHeaders: problem.headers,
      responseBody: problem.body,
    });
    expect(metrics.snapshot().stored).toBe(1);
  });

  const failure = new Error('connection reset');
  const otherViolation = violationOf('things_other_key');
  const unavailable = new ServiceUnavailableError();
  it.each([
    ['a >= 500 domain error', unavailable, CONFLICTS, unavailable],
    ['an error that is no unique violation', failure, CONFLICTS, failure],
    [
      "a unique violation the plan's conflicts do not name",
      otherViolation,
      CONFLICTS,
      otherViolation,
    ],
    ['a unique violation with no conflicts to map it', otherViolation, undefined, otherViolation],
  ])('rethrows %s and stores nothing', async (_case, error, conflicts, thrown) => {
    const { store, metrics, executor } = setup();
    store.claims = [error];
    expect(await errorOf(executor.execute(keyed(), plan({ conflicts })))).toBe(thrown);
    expect(store.called('claimForRejection')).toHaveLength(0);
    expect(metrics.snapshot().stored).toBe(0);
  });

  it('answers 422 when the key holds another request', async () => {
    const { store, metrics, executor } = setup();
    store.claims = [exists({ another: 'body' })];
    expect(await errorOf(executor.execute(keyed(), plan()))).toBeInstanceOf(
      IdempotencyKeyReusedError,
    );
    expect(metrics.snapshot().mismatched).toBe(1);
  });

  it('answers further retries of a key it replayed from the store from memory', async () => {
    const { store, executor } = setup();
    store.claims = [exists()];
    await executor.execute(keyed(), plan());
    store.calls.length = 0;
    expect(await executor.execute(keyed(), plan())).toEqual({ outcome: FIRST, replayed: true });
    expect(await executor.lookUp(keyed(), 'always')).toEqual({ outcome: FIRST, replayed: true });
    const other = await errorOf(executor.execute(keyed('k1', { b: 2 }), plan()));
    expect(other).toBeInstanceOf(IdempotencyKeyReusedError);
    expect(store.calls).toEqual([]);
  });

  it('sends concurrent duplicates in this process to the store one after the other', async () => {
    const { store, executor } = setup();
    let finish!: (claimed: ClaimResult) => void;
    store.claims = [new Promise((resolve) => (finish = resolve)), exists()];
    const first = executor.execute(keyed(), plan());
    const second = executor.execute(keyed(), plan());
    await store.reached(1); // the first holds the key at the store
    // Every promise here is the fakes' own: once the microtasks have run, the second has gone as
    // far as it can, and with a broken queue it would have reached the store.
    await new Promise(setImmediate);
    expect(store.calls).toHaveLength(1); // the second waits for it in this process
    finish(WRITTEN);
    expect(await first).toEqual({ outcome: CREATED, replayed: false });
    expect(await second).toEqual({ outcome: FIRST, replayed: true });
    expect(store.called('claim')).toHaveLength(2);
    expect(store.maxRunning).toBe(1);
  });

  it('looks the key up before computing Deferred values, and a replay never computes them', async () => {
    const { store, executor, deferred } = setup();
    store.finds = [stored()];
    expect(await executor.execute(keyed(), plan(deferred()))).toEqual({
      outcome: FIRST,
      replayed: true,
    });
    expect(store.events).toEqual(['find']);
  });

  it('computes Deferred values once the key holds no answer, then claims it with them', async () => {
    const { store, executor, deferred } = setup();
    store.claims = [BUSY, WRITTEN];
    await executor.execute(keyed(), plan(deferred()));
    expect(store.events).toEqual(['find', 'compute', 'claim', 'claim']);
    expect(store.called('claim')[1].values).toMatchObject({ hash: 'computed' });
  });
});
