import type { FastifyBaseLogger } from 'fastify';
import { loadConfig } from '../config/app-config';
import { valueSources, type Statement, type Values } from '../database/statement';
import type { Transactions, Tx } from '../database/transactions';
import { HttpOutcome, problemOutcome } from '../http/outcome';
import { DomainError, ServiceUnavailableError } from '../http/problem';
import type { Metrics } from '../metrics/metrics';
import { Registry } from 'prom-client';
import { BatchedClaims } from './batched-claims';
import { CreateExecutor, Deferred, PlannedCreate } from './create-executor';
import { createStatement, write } from './create-statement';
import { fingerprint } from './fingerprint';
import { IdempotencyKeyInUseError, IdempotencyKeyReusedError } from './idempotency.errors';
import { IdempotencyMetrics } from './idempotency-metrics';
import type {
  ClaimResult,
  IdempotencyRepository,
  KeyScope,
  StoredOutcome,
} from './idempotency.repository';
import type { IdempotentRequest } from './idempotent-request';

/**
 * The executor's pauses between the claims of a busy key come from node:timers/promises, which
 * Jest's fake timers do not replace: here they go through the global setTimeout, so the cases
 * that wait for a busy key run on fake time (jest.useFakeTimers) rather than sleeping.
 */
jest.mock('node:timers/promises', () => ({
  ...jest.requireActual<object>('node:timers/promises'),
  setTimeout: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
}));

const WAIT_MS = 60;
const SECRET = Buffer.from('spec secret');
const AUTOCOMMIT = { name: 'autocommit' } as unknown as Tx;
const STATEMENT = createStatement('Spec.create', [
  write('inserted', 'INSERT INTO things (a) SELECT :a FROM claimed RETURNING 1'),
]);
const CREATED: HttpOutcome = { status: 201, headers: { Location: '/t/1' }, body: '{"id":"1"}' };
const FIRST: HttpOutcome = { status: 201, headers: { Location: '/t/0' }, body: '{"id":"0"}' };
const BODY = { a: 1 };
const WRITTEN: ClaimResult = { state: 'written' };
const BUSY: ClaimResult = { state: 'busy' };

class Taken extends DomainError {
  constructor() {
    super(409, 'taken', 'Taken', 'Already taken.');
  }
}
const taken = () => new Taken();
/** What pg reports for a unique violation, and the plan's meaning of it. */
const violationOf = (constraint: string) =>
  Object.assign(new Error('duplicate key value'), { code: '23505', constraint });
const CONFLICTS = new Map([['things_name_key', Taken]]);

function keyed(key = 'k1', body: unknown = BODY): IdempotentRequest {
  return {
    scope: { caller: 'alice', method: 'POST', route: '/t', key },
    request: { method: 'POST', path: '/t', body },
    log: { info: () => undefined } as unknown as FastifyBaseLogger,
  };
}

/** What the store holds under a key for a request with `body`. */
function stored(body: unknown = BODY): StoredOutcome {
  const print = fingerprint(SECRET, keyed('', body).request);
  return { fingerprint: print, outcome: FIRST, expiresAt: new Date(Date.now() + 3_600_000) };
}

const exists = (body?: unknown): ClaimResult => ({ state: 'exists', stored: stored(body) });

/** One answer of the fake store: a value, a failure, or a promise the case settles. */
type Step<T> = T | Error | Promise<T>;

/** The values as `bind` reads them: of several objects, the first that has a name gives it. */
const merged = (values: Values): object =>
  Object.assign({}, ...[...valueSources(values)].reverse());

/**
 * IdempotencyRepository in memory: each method answers its scripted steps in turn (the last one
 * again and again) and records every call, in order, with what it was given.
 */
class FakeStore implements Pick<
  IdempotencyRepository,
  'claim' | 'claimForRejection' | 'write' | 'find'
> {
  /** Each call's values as one object, whether they came as one or as several. */
  readonly calls: { method: string; tx: Tx; values: object; statement?: Statement }[] = [];
  /** The calls and the Deferred computations, in the order they happened. */
  readonly events: string[] = [];
  claims: Step<ClaimResult>[] = [WRITTEN];
  rejections: Step<ClaimResult>[] = [WRITTEN];
  writes: Step<void>[] = [undefined];
  finds: Step<StoredOutcome | null>[] = [null];
  maxRunning = 0;
  private running = 0;
  private readonly waiting: { count: number; resolve: () => void }[] = [];

  claim = (tx: Tx, statement: Statement, values: Values) =>
    this.answer({ method: 'claim', tx, values: merged(values), statement }, this.claims);
  claimForRejection = (tx: Tx, values: Values) =>
    this.answer({ method: 'claimForRejection', tx, values: merged(values) }, this.rejections);
  write = (tx: Tx, statement: Statement, values: Values) =>
    this.answer({ method: 'write', tx, values: merged(values), statement }, this.writes);
  find = (tx: Tx, scope: KeyScope) =>
    this.answer({ method: 'find', tx, values: scope }, this.finds);

  called(method: string) {
    return this.calls.filter((call) => call.method === method);
  }

  /** Resolves once the store has been called `count` times in all. */
  reached(count: number): Promise<void> {
    if (this.calls.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push({ count, resolve }));
  }

  private async answer<T>(call: FakeStore['calls'][number], steps: Step<T>[]): Promise<T> {
    this.calls.push(call);
    this.events.push(call.method);
    for (const waiter of this.waiting) if (this.calls.length >= waiter.count) waiter.resolve();
    const step = steps.length > 1 ? steps.shift()! : steps[0];
    this.maxRunning = Math.max(this.maxRunning, ++this.running);
    try {
      if (step instanceof Error) throw step;
      return await step;
    } finally {
      this.running--;
    }
  }
}

/** Metrics as IdempotencyMetrics uses them: its own counts are what the cases read. */
const prometheus = () =>
  ({ idempotency: { inc: () => undefined }, registry: new Registry() }) as unknown as Metrics;

const plan = (more: Partial<PlannedCreate> = {}): PlannedCreate => ({
  statement: STATEMENT,
  values: { a: 1 },
  outcome: CREATED,
  ...more,
});

function setup() {
  const store = new FakeStore();
  const registered = prometheus();
  const metrics = new IdempotencyMetrics(registered);
  const transactions = { autocommit: AUTOCOMMIT } as unknown as Transactions;
  const config = { ...loadConfig({}), idempotencyWaitMs: WAIT_MS };
  const repository = store as unknown as IdempotencyRepository;
  const executor = new CreateExecutor(
    transactions,
    repository,
    new BatchedClaims(repository, transactions, config, registered),
    metrics,
    config,
    SECRET,
  );
  /** Values with a Deferred whose computations are recorded among the store's calls. */
  const deferred = () => {
    const value = new Deferred(async () => (store.events.push('compute'), 'computed'));
    return { values: { a: 1, hash: value } };
  };
  return { store, metrics, executor, deferred };
}

const errorOf = (promise: Promise<unknown>) => promise.catch((error: unknown) => error);

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
});
