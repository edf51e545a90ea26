/** The fake store, plans and requests the CreateExecutor specs share. */
import type { FastifyBaseLogger } from 'fastify';
import { type AppConfig, loadConfig } from '../config/app-config';
import { valueSources, type Statement, type Values } from '../database/statement';
import type { Transactions, Tx } from '../database/transactions';
import { HttpOutcome } from '../http/outcome';
import { DomainError } from '../http/problem';
import type { Metrics } from '../metrics/metrics';
import { Registry } from 'prom-client';
import { BatchedLookups } from './batched-lookups';
import { BatchedClaims } from './batched-claims';
import { CreateExecutor, PlannedCreate } from './create-executor';
import { Deferred } from './deferred';
import { createStatement, write } from './create-statement';
import { fingerprint } from './fingerprint';
import { IdempotencyMetrics } from './idempotency-metrics';
import type {
  ClaimResult,
  IdempotencyRepository,
  KeyScope,
  StoredOutcome,
} from './idempotency.repository';
import type { IdempotentRequest } from './idempotent-request';

export const WAIT_MS = 60;
const SECRET = Buffer.from('spec secret');
export const AUTOCOMMIT = { name: 'autocommit' } as unknown as Tx;
export const STATEMENT = createStatement('Spec.create', [
  write('inserted', 'INSERT INTO things (a) SELECT :a FROM claimed RETURNING 1'),
]);
export const CREATED: HttpOutcome = {
  status: 201,
  headers: { Location: '/t/1' },
  body: '{"id":"1"}',
};
export const FIRST: HttpOutcome = {
  status: 201,
  headers: { Location: '/t/0' },
  body: '{"id":"0"}',
};
const BODY = { a: 1 };
export const WRITTEN: ClaimResult = { state: 'written' };
export const BUSY: ClaimResult = { state: 'busy' };

class Taken extends DomainError {
  constructor() {
    super(409, 'taken', 'Taken', 'Already taken.');
  }
}
export const taken = () => new Taken();
/** What pg reports for a unique violation, and the plan's meaning of it. */
export const violationOf = (constraint: string) =>
  Object.assign(new Error('duplicate key value'), { code: '23505', constraint });
export const CONFLICTS = new Map([['things_name_key', Taken]]);

export function keyed(key = 'k1', body: unknown = BODY): IdempotentRequest {
  return {
    scope: { caller: 'alice', method: 'POST', route: '/t', key },
    request: { method: 'POST', path: '/t', body },
    log: { info: () => undefined } as unknown as FastifyBaseLogger,
  };
}

/** What the store holds under a key for a request with `body`. */
export function stored(body: unknown = BODY): StoredOutcome {
  const print = fingerprint(SECRET, keyed('', body).request);
  return { fingerprint: print, outcome: FIRST, expiresAt: new Date(Date.now() + 3_600_000) };
}

export const exists = (body?: unknown): ClaimResult => ({ state: 'exists', stored: stored(body) });

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
  'claim' | 'claimForRejection' | 'write' | 'find' | 'findMany'
> {
  /** Each call's values as one object, whether they came as one or as several. */
  readonly calls: { method: string; tx: Tx; values: object; statement?: Statement }[] = [];
  /** The calls and the Deferred computations, in the order they happened. */
  readonly events: string[] = [];
  claims: Step<ClaimResult>[] = [WRITTEN];
  rejections: Step<ClaimResult>[] = [WRITTEN];
  writes: Step<void>[] = [undefined];
  finds: Step<StoredOutcome | null>[] = [null];
  manyFinds: Step<(StoredOutcome | null)[]>[] = [[]];
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
  findMany = (tx: Tx, scopes: readonly KeyScope[]) =>
    this.answer({ method: 'findMany', tx, values: { scopes } }, this.manyFinds);

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

export const plan = (more: Partial<PlannedCreate> = {}): PlannedCreate => ({
  statement: STATEMENT,
  values: { a: 1 },
  outcome: CREATED,
  ...more,
});

export function setup(more: Partial<AppConfig> = {}) {
  const store = new FakeStore();
  const registered = prometheus();
  const metrics = new IdempotencyMetrics(registered);
  const transactions = { autocommit: AUTOCOMMIT } as unknown as Transactions;
  const config = { ...loadConfig({}), idempotencyWaitMs: WAIT_MS, ...more };
  const repository = store as unknown as IdempotencyRepository;
  const executor = new CreateExecutor(
    transactions,
    repository,
    new BatchedClaims(repository, transactions, config, registered),
    new BatchedLookups(repository, transactions, config, registered),
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

export const errorOf = (promise: Promise<unknown>) => promise.catch((error: unknown) => error);
