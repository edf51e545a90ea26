import { Inject, Injectable } from '@nestjs/common';
import { hash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { asUniqueConflict, type UniqueConflicts } from '../database/database-errors';
import { valueSources, Values } from '../database/statement';
import { Transactions, Tx } from '../database/transactions';
import { HttpOutcome, problemOutcome } from '../http/outcome';
import { DomainError } from '../http/problem';
import { BatchedClaims, ClaimValues } from './batched-claims';
import { BatchedLookups } from './batched-lookups';
import { CreateStatement } from './create-statement';
import { hasDeferred, resolveDeferred } from './deferred';
import { fingerprint } from './fingerprint';
import { IdempotencyKeyInUseError, IdempotencyKeyReusedError } from './idempotency.errors';
import { IdempotencyMetrics } from './idempotency-metrics';
import { IdempotencyRepository, KeyScope, StoredOutcome } from './idempotency.repository';
import { IdempotentRequest } from './idempotent-request';
import { InFlightRequests } from './in-flight';
import { RecentOutcomes } from './recent-outcomes';
import { RetryShare } from './retry-share';

export const FINGERPRINT_SECRET = Symbol('FINGERPRINT_SECRET');

/** A create as its feature plans it, before any database work: its statement, values and answer. */
export interface PlannedCreate {
  statement: CreateStatement;
  /** The statement's values by parameter name; any of them may be `Deferred`. */
  values: Values;
  outcome: HttpOutcome;
  /** The domain error (a 409) each unique constraint the statement may violate means. */
  conflicts?: UniqueConflicts;
  /**
   * The create's columns for its statement's batched form, when it has one (see ManyWrites):
   * plain values, serialised as they are, so never a `Deferred`.
   */
  row?: object;
}

export interface Executed {
  outcome: HttpOutcome;
  replayed: boolean;
}

/**
 * Where `lookUp` may look besides this process's memory: the table `always`, or only while
 * retries are a large share of this process's keyed creates (see RetryShare).
 */
export type TableRead = 'always' | 'while-retries-are-common';

interface KeyedRequest extends IdempotentRequest {
  print: Buffer;
  /** The scope as one string: the in-process queue's and the remembered answers' key. */
  id: string;
  /** When a duplicate stops waiting for the request holding its key and answers 409. */
  deadline: number;
}

const RETRY_AFTER_SECONDS = 1;
const FIRST_PAUSE_MS = 10;
const MAX_PAUSE_MS = 200;

/**
 * Runs every create exactly once per key. The executor owns the key's claim, the wait for a busy
 * key, the stored answer and the replay; a feature owns its rows (a `PlannedCreate`).
 */
@Injectable()
export class CreateExecutor {
  private readonly recent: RecentOutcomes;
  private readonly inFlight = new InFlightRequests();
  private readonly retries = new RetryShare();

  constructor(
    private readonly transactions: Transactions,
    private readonly store: IdempotencyRepository,
    private readonly claims: BatchedClaims,
    private readonly lookups: BatchedLookups,
    private readonly metrics: IdempotencyMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(FINGERPRINT_SECRET) private readonly secret: Buffer,
  ) {
    this.recent = new RecentOutcomes(config.idempotencyMemory);
  }

  /**
   * Writes `create` (its rows, the key record and the answer, in one statement, so they commit
   * together), or replays the answer stored under the key. A request that arrives while another
   * holds its key waits, with no connection held, up to IDEMPOTENCY_WAIT. Without a key, the
   * rows are simply written.
   */
  async execute(
    idempotent: IdempotentRequest | null,
    create: PlannedCreate,
    tx: Tx = this.transactions.autocommit,
  ): Promise<Executed> {
    if (!idempotent) {
      const values = await resolveDeferred(create.values);
      await this.store.write(tx, create.statement.unkeyed, values).catch((error) => {
        throw rejectionOf(create, error);
      });
      return { outcome: create.outcome, replayed: false };
    }
    const request = this.keyed(idempotent);
    // Duplicates arriving together at this process run one after the other, so only the first
    // writes; the others then find its answer in memory or in the table.
    const ran = await this.inFlight.runAfterCurrent(request.id, this.config.idempotencyWaitMs, () =>
      this.replayOrWrite(request, create, tx),
    );
    if (!ran.done) throw this.inUse(request);
    return ran.value;
  }

  /**
   * The stored answer to an exact retry of `idempotent` (same scope, same request): from this
   * process's memory, else from the table as `tableRead` allows. Null when there is none, or when
   * the key holds another request's answer (`execute` answers that one).
   */
  async lookUp(idempotent: IdempotentRequest, tableRead: TableRead): Promise<Executed | null> {
    const id = scopeId(idempotent.scope);
    const remembered = this.recent.recall(id);
    const readsTable = tableRead === 'always' || this.retries.retriesAreCommon;
    if (!remembered && !readsTable) return null; // most creates: no fingerprint, no read
    const request = this.keyed(idempotent, id);
    if (remembered)
      return sameRequest(remembered, request) ? this.answerFrom(remembered, request) : null;
    const stored = await this.lookups.find(request.scope);
    return stored && sameRequest(stored, request) ? this.replayFromStore(request, stored) : null;
  }

  private async replayOrWrite(request: KeyedRequest, planned: PlannedCreate, tx: Tx) {
    const remembered = this.recent.recall(request.id);
    if (remembered) return this.answerFrom(remembered, request);
    if (hasDeferred(planned.values)) {
      const stored = await this.store.find(tx, request.scope);
      if (stored) return this.replayFromStore(request, stored);
    }
    const values = await resolveDeferred(planned.values);
    for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(pause * 2, MAX_PAUSE_MS)) {
      const executed = await this.attempt(request, planned, values, tx);
      if (executed) return executed;
      const remaining = request.deadline - Date.now();
      if (remaining <= 0) throw this.inUse(request);
      await sleep(Math.min(pause, remaining)); // the last try comes at the deadline itself
    }
  }

  /** One statement: written, or the stored answer replayed. Null while the key is busy elsewhere. */
  private async attempt(
    request: KeyedRequest,
    create: PlannedCreate,
    values: Values,
    tx: Tx,
  ): Promise<Executed | null> {
    const { claimed, outcome } = await this.claimOrReject(request, create, values, tx);
    if (claimed.state === 'busy') return null;
    if (claimed.state === 'exists') return this.replayFromStore(request, claimed.stored);
    // Not remembered: most keys are never retried. A key retried once is remembered then.
    if (!request.rolledBack) {
      this.metrics.count('stored'); // the probe's key is rolled back: never stored
      this.retries.record(false);
    }
    return { outcome, replayed: false };
  }

  /**
   * The create's statement, its `values` (Deferred ones computed) beside the claim's; if it fails
   * with a business rejection (< 500: 409 ...), nothing was written, and the key is claimed again
   * with the rejection as its answer. The values are bound from their objects as they are: V8
   * copies objects into one (an object spread) property by property, a cost on every create.
   */
  private async claimOrReject(
    request: KeyedRequest,
    create: PlannedCreate,
    values: Values,
    tx: Tx,
  ) {
    // The claim's objects first: a feature's object may carry a property of the same name
    // (the statement never takes it from there; createStatement refuses writes that would).
    const withClaim = (claim: ClaimValues) => [request.scope, claim, ...valueSources(values)];
    try {
      const claim = this.claimValues(request, create.outcome);
      const claimed = await this.claims.claim(tx, create.statement, {
        values: withClaim(claim),
        scope: request.scope,
        claim,
        row: create.row,
      });
      return { claimed, outcome: create.outcome };
    } catch (error) {
      const rejection = rejectionOf(create, error);
      if (!(rejection instanceof DomainError) || rejection.status >= 500) throw rejection;
      const outcome = problemOutcome(rejection);
      const claim = this.claimValues(request, outcome);
      return { claimed: await this.store.claimForRejection(tx, withClaim(claim)), outcome };
    }
  }

  /** The claim's values besides the key's scope. */
  private claimValues(request: KeyedRequest, outcome: HttpOutcome): ClaimValues {
    return {
      lockId: advisoryLockId(request.id),
      fingerprint: request.print,
      responseStatus: outcome.status,
      responseHeaders: outcome.headers,
      responseBody: outcome.body,
      ttlMs: this.config.idempotencyTtlMs,
    };
  }

  private keyed(idempotent: IdempotentRequest, id = scopeId(idempotent.scope)): KeyedRequest {
    const { scope, request, log, rolledBack } = idempotent;
    return {
      scope,
      request,
      log,
      rolledBack,
      print: fingerprint(this.secret, request),
      id,
      deadline: Date.now() + this.config.idempotencyWaitMs, // one bound for all of a duplicate's waiting
    };
  }

  /** A key read from the table has been retried, so its answer is kept for further retries. */
  private replayFromStore(request: KeyedRequest, stored: StoredOutcome): Executed {
    const replayed = this.answerFrom(stored, request);
    this.recent.remember(request.id, stored);
    this.retries.record(true);
    return replayed;
  }

  /** The stored outcome for the same request; 422 for another request under the same key. */
  private answerFrom(stored: StoredOutcome, request: KeyedRequest): Executed {
    if (!sameRequest(stored, request)) {
      this.metrics.count('mismatched');
      logKeyEvent(request, 'idempotency key reused for another request');
      throw new IdempotencyKeyReusedError();
    }
    this.metrics.count('replayed');
    logKeyEvent(request, 'idempotent replay');
    return { outcome: stored.outcome, replayed: true };
  }

  private inUse(request: KeyedRequest): IdempotencyKeyInUseError {
    this.metrics.count('in_flight_conflict');
    logKeyEvent(request, 'idempotency key in use');
    return new IdempotencyKeyInUseError(RETRY_AFTER_SECONDS);
  }
}

const sameRequest = (stored: StoredOutcome, request: KeyedRequest) =>
  stored.fingerprint.equals(request.print);

function scopeId({ caller, method, route, key }: KeyScope): string {
  return JSON.stringify([caller, method, route, key]);
}

/** A 64-bit lock id per key scope; a collision only makes two unrelated keys wait for each other. */
function advisoryLockId(scopeId: string): string {
  return hash('sha256', scopeId, 'buffer').readBigInt64BE(0).toString();
}

/** An info line naming the key by its hash; the hash is only computed when info lines are kept. */
function logKeyEvent({ log, id }: KeyedRequest, message: string) {
  const levelCheck = log as Partial<Pick<Logger, 'isLevelEnabled'>>; // pino's; Fastify's type omits it
  if (levelCheck.isLevelEnabled?.('info') ?? true)
    log.info({ idempotencyKeyHash: keyHash(id) }, message);
}

/** Logs name a key by this hash, never by the key itself. */
function keyHash(scopeId: string): string {
  return hash('sha256', scopeId, 'hex').slice(0, 16);
}

/** The create's failure in domain terms: a unique violation as the conflict it means. */
function rejectionOf(create: PlannedCreate, error: unknown): unknown {
  return create.conflicts ? asUniqueConflict(error, create.conflicts) : error;
}
