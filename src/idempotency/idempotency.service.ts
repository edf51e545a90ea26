import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { FastifyBaseLogger } from 'fastify';
import type { Logger } from 'pino';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { runGuardedWrite } from '../database/guarded-write';
import { Transactions, Tx } from '../database/transactions';
import { HttpOutcome, problemOutcome } from '../http/outcome';
import { DomainError } from '../http/problem';
import { fingerprint, FingerprintInput } from './fingerprint';
import { IdempotencyKeyInUseError, IdempotencyKeyReusedError } from './idempotency.errors';
import { IdempotencyMetrics } from './idempotency-metrics';
import {
  IdempotencyRepository,
  KeyScope,
  PlannedCreate,
  StoredOutcome,
} from './idempotency.repository';
import { InFlightRequests } from './in-flight';
import { RecentOutcomes } from './recent-outcomes';

export type { PlannedCreate };

export const FINGERPRINT_SECRET = Symbol('FINGERPRINT_SECRET');

/** What the @Idempotent() parameter hands a controller: the key's scope and the request to fingerprint. */
export interface IdempotentRequest {
  scope: KeyScope;
  request: FingerprintInput;
  log: FastifyBaseLogger;
}

interface FingerprintedRequest extends IdempotentRequest {
  print: Buffer;
}

interface KeyedRequest extends FingerprintedRequest {
  /** The scope as one string: the in-process queue's and the remembered answers' key. */
  id: string;
  /** When a duplicate stops waiting for the request holding its key and answers 409. */
  deadline: number;
}

export interface Executed {
  outcome: HttpOutcome;
  replayed: boolean;
}

export interface ExecuteOptions {
  /**
   * Look for a stored answer before planning: for creates whose planning is slow by design
   * (hashing a password), so that a replay does not pay for it.
   */
  lookUpFirst?: boolean;
}

const RETRY_AFTER_SECONDS = 1;
const FIRST_PAUSE_MS = 10;
const MAX_PAUSE_MS = 200;

@Injectable()
export class IdempotencyService {
  private readonly recent: RecentOutcomes;
  private readonly inFlight = new InFlightRequests();

  constructor(
    private readonly transactions: Transactions,
    private readonly store: IdempotencyRepository,
    private readonly metrics: IdempotencyMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(FINGERPRINT_SECRET) private readonly secret: Buffer,
  ) {
    this.recent = new RecentOutcomes(config.idempotencyMemory);
  }

  /**
   * Runs a create exactly once per key. `plan` decides the answer and the rows before any database
   * work; the key record, the rows and the answer are then written by one statement, so they
   * commit together in one round trip. A retry gets the stored answer back; a request that
   * arrives while another holds its key waits (with no connection held) up to IDEMPOTENCY_WAIT.
   * Without a key, the rows are simply written.
   */
  async execute(
    idempotent: IdempotentRequest | null,
    plan: () => PlannedCreate | Promise<PlannedCreate>,
    options: ExecuteOptions = {},
  ): Promise<Executed> {
    if (!idempotent) {
      const planned = await plan();
      if (planned.write) await runGuardedWrite(this.transactions.autocommit, planned.write);
      return { outcome: planned.outcome, replayed: false };
    }
    const request: KeyedRequest = {
      ...idempotent,
      print: fingerprint(this.secret, idempotent.request),
      id: scopeId(idempotent.scope),
      deadline: Date.now() + this.config.idempotencyWaitMs, // one bound for all of a duplicate's waiting
    };
    const remembered = this.recent.recall(request.id);
    if (remembered) return this.answerFrom(remembered, request); // a key retried here before
    // Duplicates arriving together at this process run one after the other, so only the first
    // writes; the others then find its stored answer (sign-up looks it up before hashing).
    const ran = await this.inFlight.runAfterCurrent(request.id, this.config.idempotencyWaitMs, () =>
      this.planAndWrite(request, plan, options),
    );
    if (!ran.done) throw this.inUse(request);
    return ran.value;
  }

  /**
   * The answer this process remembers for an exact retry of `idempotent` (same scope, same
   * request), or null: not remembered here, or another request under the key, which `execute`
   * then answers. Needs no database and no validated body, so it can run before the pipeline.
   */
  replayRemembered(idempotent: IdempotentRequest): Executed | null {
    return this.replayIfSame(this.recent.recall(scopeId(idempotent.scope)), idempotent);
  }

  /** As `replayRemembered`, from the database: one read by key, for retries not remembered here. */
  async replayStored(idempotent: IdempotentRequest): Promise<Executed | null> {
    const stored = await this.store.find(this.transactions.autocommit, idempotent.scope);
    if (!stored) return null;
    const replayed = this.replayIfSame(stored, idempotent);
    if (replayed) this.recent.remember(scopeId(idempotent.scope), stored);
    return replayed;
  }

  private replayIfSame(
    stored: StoredOutcome | null,
    idempotent: IdempotentRequest,
  ): Executed | null {
    if (!stored) return null;
    const print = fingerprint(this.secret, idempotent.request);
    if (!stored.fingerprint.equals(print)) return null;
    return this.answerFrom(stored, { ...idempotent, print });
  }

  private async planAndWrite(
    request: KeyedRequest,
    plan: () => PlannedCreate | Promise<PlannedCreate>,
    options: ExecuteOptions,
  ): Promise<Executed> {
    const remembered = this.recent.recall(request.id);
    if (remembered) return this.answerFrom(remembered, request);
    if (options.lookUpFirst) {
      const earlier = await this.store.find(this.transactions.autocommit, request.scope);
      if (earlier) return this.replayFromStore(earlier, request);
    }
    return this.claimAndWrite(request, await plan());
  }

  /** The store's claim and stored answer for `scope`, inside `tx` (the synthetic create probe). */
  async exercise(tx: Tx, scope: KeyScope): Promise<void> {
    const outcome = { status: 201, headers: {}, body: '{}' };
    const claimed = await this.store.claimAndWrite(
      tx,
      scope,
      Buffer.alloc(32),
      this.config.idempotencyTtlMs,
      { outcome, write: null },
    );
    if (claimed.state !== 'written')
      throw new Error('the probe could not claim a fresh idempotency key');
  }

  /** Retries while another transaction holds the key, sleeping between tries with no connection held. */
  private async claimAndWrite(request: KeyedRequest, planned: PlannedCreate): Promise<Executed> {
    for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(pause * 2, MAX_PAUSE_MS)) {
      const executed = await this.attempt(request, planned);
      if (executed) return executed;
      const remaining = request.deadline - Date.now();
      if (remaining <= 0) throw this.inUse(request);
      await sleep(Math.min(pause, remaining)); // the last try comes at the deadline itself
    }
  }

  /** One statement: write and store, or replay. Null while the key is busy elsewhere. */
  private async attempt(request: KeyedRequest, planned: PlannedCreate): Promise<Executed | null> {
    const claimed = await this.claimOrReject(request, planned);
    if (claimed instanceof DomainError) {
      // Nothing was written; the rejection (409 ...) becomes the key's answer instead.
      return this.claimAndWrite(request, { outcome: problemOutcome(claimed), write: null });
    }
    if (claimed.state === 'busy') return null;
    if (claimed.state === 'exists') return this.replayFromStore(claimed.stored, request);
    // Not remembered: most keys are never retried, and keeping every new answer cost creates
    // 5-10% of their throughput in garbage collection. A key retried once is remembered then.
    this.metrics.count('stored');
    return { outcome: planned.outcome, replayed: false };
  }

  /** The store's answer, or the business rejection (< 500) the write's statement ran into. */
  private claimOrReject(request: KeyedRequest, planned: PlannedCreate) {
    const { scope, print } = request;
    const ttl = this.config.idempotencyTtlMs;
    return this.store
      .claimAndWrite(this.transactions.autocommit, scope, print, ttl, planned)
      .catch((error: unknown) => {
        const rejection = planned.write ? planned.write.rejection(error) : error;
        if (rejection instanceof DomainError && rejection.status < 500) return rejection;
        throw rejection;
      });
  }

  /** As `answerFrom`, for an answer read from the store: the key has been retried, so it is kept. */
  private replayFromStore(stored: StoredOutcome, request: KeyedRequest): Executed {
    this.recent.remember(request.id, stored);
    return this.answerFrom(stored, request);
  }

  /** The stored outcome for the same request; 422 for another request under the same key. */
  private answerFrom(stored: StoredOutcome, request: FingerprintedRequest): Executed {
    if (!stored.fingerprint.equals(request.print)) {
      this.metrics.count('mismatched');
      logKeyEvent(request, 'idempotency key reused for another request');
      throw new IdempotencyKeyReusedError();
    }
    this.metrics.count('replayed');
    logKeyEvent(request, 'idempotent replay');
    return { outcome: stored.outcome, replayed: true };
  }

  private inUse(idempotent: IdempotentRequest): IdempotencyKeyInUseError {
    this.metrics.count('in_flight_conflict');
    logKeyEvent(idempotent, 'idempotency key in use');
    return new IdempotencyKeyInUseError(RETRY_AFTER_SECONDS);
  }
}

function scopeId({ caller, method, route, key }: KeyScope): string {
  return JSON.stringify([caller, method, route, key]);
}

/** An info line naming the key by its hash; the hash is only computed when info lines are kept. */
function logKeyEvent({ log, scope }: IdempotentRequest, message: string) {
  const levelCheck = log as Partial<Pick<Logger, 'isLevelEnabled'>>; // pino's; Fastify's type omits it
  if (levelCheck.isLevelEnabled?.('info') ?? true)
    log.info({ idempotencyKeyHash: keyHash(scope) }, message);
}

/** Logs name a key by this hash, never by the key itself. */
export function keyHash(scope: KeyScope): string {
  return createHash('sha256').update(scopeId(scope)).digest('hex').slice(0, 16);
}
