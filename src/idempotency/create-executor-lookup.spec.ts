import type { StoredOutcome } from './idempotency.repository';
import { AUTOCOMMIT, exists, FIRST, keyed, plan, setup, stored } from './create-executor.fixtures';

describe('CreateExecutor.lookUp', () => {
  it('reads the table only while retries are common, as after many replays from the store', async () => {
    const { store, executor } = setup();
    store.finds = [stored()];
    expect(await executor.lookUp(keyed('fresh'), 'while-retries-are-common')).toBeNull();
    expect(store.calls).toEqual([]);
    store.claims = [exists()];
    for (let i = 0; i < 40; i++) await executor.execute(keyed(`retried ${i}`), plan());
    store.calls.length = 0;
    const replayed = await executor.lookUp(keyed('fresh'), 'while-retries-are-common');
    expect(replayed).toEqual({ outcome: FIRST, replayed: true });
    expect(store.calls).toMatchObject([
      { method: 'find', tx: AUTOCOMMIT, values: keyed('fresh').scope },
    ]);
  });

  it('always reads the table when told to; null when the key holds nothing', async () => {
    const { store, executor } = setup();
    expect(await executor.lookUp(keyed(), 'always')).toBeNull();
    expect(store.called('find')).toHaveLength(1);
  });

  it("answers null, not 422, for another request's answer, stored or remembered", async () => {
    const { store, metrics, executor } = setup();
    store.finds = [stored({ another: 'body' })];
    expect(await executor.lookUp(keyed(), 'always')).toBeNull();
    store.finds = [stored()];
    await executor.lookUp(keyed(), 'always'); // now remembered
    expect(await executor.lookUp(keyed('k1', { another: 'body' }), 'always')).toBeNull();
    expect(store.called('find')).toHaveLength(2); // the last one was answered from memory
    expect(metrics.snapshot().mismatched).toBe(0);
  });

  it('reads the keys of retries that arrive during a read together, each answered its own', async () => {
    // One read at a time: with two, a second could start beside the held one after 20 ms.
    const { store, executor } = setup({ readConcurrency: 1 });
    let release!: (held: StoredOutcome) => void;
    store.finds = [new Promise<StoredOutcome>((resolve) => (release = resolve))];
    store.manyFinds = [[stored({ another: 'body' }), null, stored()]];
    const first = executor.lookUp(keyed('k0'), 'always');
    await store.reached(1);
    const queued = ['k1', 'k2', 'k3'].map((key) => executor.lookUp(keyed(key), 'always'));
    release(stored());
    expect(await first).toEqual({ outcome: FIRST, replayed: true });
    expect(await Promise.all(queued)).toEqual([null, null, { outcome: FIRST, replayed: true }]);
    expect(store.calls).toMatchObject([
      { method: 'find', tx: AUTOCOMMIT, values: keyed('k0').scope },
      {
        method: 'findMany',
        tx: AUTOCOMMIT,
        values: { scopes: ['k1', 'k2', 'k3'].map((key) => keyed(key).scope) },
      },
    ]);
  });
});
