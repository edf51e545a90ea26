import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { FastifyBaseLogger } from 'fastify';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { Transactions, Tx } from '../database/transactions';
import { HttpOutcome, problemOutcome } from '../http/outcome';
import { DomainError } from '../http/problem';
import { fingerprint, FingerprintInput } from './fingerprint';
import { IdempotencyKeyInUseError, IdempotencyKeyReusedError } from './idempotency.errors';
import { IdempotencyMetrics } from './idempotency-metrics';
import { IdempotencyRepository, KeyScope, StoredOutcome } from './idempotency.repository';
import { InFlightRequests } from './in-flight';

export const FINGERPRINT_SECRET = Symbol('FINGERPRINT_SECRET');

/** What the @Idempotent() parameter hands a controller: the key's scope and the request to fingerprint. */
export interface IdempotentRequest {
  scope: KeyScope;
  request: FingerprintInput;
  log: FastifyBaseLogger;
}

interface KeyedRequest extends IdempotentRequest {
  print: Buffer;
  /** When a duplicate stops waiting for the request holding its key and answers 409. */
  deadline: number;
}

export interface Executed {
  outcome: HttpOutcome;
  replayed: boolean;
}

/** A rejection by the handler itself (< 500): stored and replayed like a success. */
class HandlerRejection extends Error {
  constructor(readonly error: DomainError) {
    super(error.message);
  }
}

const RETRY_AFTER_SECONDS = 1;
const FIRST_PAUSE_MS = 10;
const MAX_PAUSE_MS = 200;

@Injectable()
export class IdempotencyService {
  private readonly inFlight = new InFlightRequests();

  constructor(
    private readonly transactions: Transactions,
    private readonly store: IdempotencyRepository,
    private readonly metrics: IdempotencyMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(FINGERPRINT_SECRET) private readonly secret: Buffer,
  ) {}

  /**
   * Runs `work` exactly once per key: the key record, everything `work` writes through `tx` and
   * the outcome commit in one transaction. A retry replays the stored outcome; without a key,
   * `work` simply runs in a transaction of its own.
   *
   * `prepare` is slow work that needs no database (hashing a password): it runs before the
   * transaction opens, so it holds no pooled connection, and not for a replay, which a cheap
   * look-up finds first (a look-up the fast path without `prepare` does not pay for).
   */
  async execute<P = undefined>(
    idempotent: IdempotentRequest | null,
    work: (tx: Tx, prepared: P) => Promise<HttpOutcome>,
    prepare?: () => Promise<P>,
  ): Promise<Executed> {
    if (!idempotent) {
      const prepared = (await prepare?.()) as P;
      return { outcome: await this.transactions.run((tx) => work(tx, prepared)), replayed: false };
    }
    const request: KeyedRequest = {
      ...idempotent,
      print: fingerprint(this.secret, idempotent.request),
      deadline: Date.now() + this.config.idempotencyWaitMs, // one bound for all of a duplicate's waiting
    };
    const ran = await this.inFlight.runAfterCurrent(
      scopeId(idempotent.scope),
      this.config.idempotencyWaitMs,
      async () => {
        if (!prepare) return this.claimAndRun(request, (tx) => work(tx, undefined as P));
        const earlier = await this.store.find(this.transactions.autocommit, request.scope);
        if (earlier) return this.answerFrom(earlier, request);
        const prepared = await prepare();
        return this.claimAndRun(request, (tx) => work(tx, prepared));
      },
    );
    if (!ran.done) throw this.inUse(request);
    return ran.value;
  }

  /** The store's claim and stored answer for `scope`, inside `tx` (the synthetic create probe). */
  async exercise(tx: Tx, scope: KeyScope): Promise<void> {
    if (
      (await this.store.claim(tx, scope, Buffer.alloc(32), this.config.idempotencyTtlMs)) !==
      'claimed'
    ) {
      throw new Error('the probe could not claim a fresh idempotency key');
    }
    await this.store.complete(tx, scope, { status: 201, headers: {}, body: '{}' });
  }

  /** Retries while another transaction holds the key, sleeping between tries with no connection held. */
  private async claimAndRun(
    request: KeyedRequest,
    work: (tx: Tx) => Promise<HttpOutcome>,
  ): Promise<Executed> {
    for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(pause * 2, MAX_PAUSE_MS)) {
      const executed = await this.attempt(request, work);
      if (executed) return executed;
      if (Date.now() + pause > request.deadline) throw this.inUse(request);
      await sleep(pause);
    }
  }

  /** One transaction: claim, then run and store, or replay. Null while the key is busy elsewhere. */
  private async attempt(
    request: KeyedRequest,
    work: (tx: Tx) => Promise<HttpOutcome>,
  ): Promise<Executed | null> {
    try {
      return await this.transactions.run(async (tx) => {
        const claim = await this.store.claim(
          tx,
          request.scope,
          request.print,
          this.config.idempotencyTtlMs,
        );
        if (claim === 'busy') return null;
        if (claim === 'exists') return this.replay(tx, request);
        const outcome = await work(tx).catch(asHandlerRejection);
        await this.store.complete(tx, request.scope, outcome);
        this.metrics.count('stored');
        return { outcome, replayed: false };
      });
    } catch (error) {
      if (!(error instanceof HandlerRejection)) throw error;
      // The business rows rolled back with the failed transaction; keep the answer under the key.
      return this.claimAndRun(request, async () => problemOutcome(error.error));
    }
  }

  private async replay(tx: Tx, request: KeyedRequest): Promise<Executed> {
    const stored = await this.store.find(tx, request.scope);
    if (!stored) throw this.inUse(request); // expired in the instant since the claim: retry
    return this.answerFrom(stored, request);
  }

  /** The stored outcome for the same request; 422 for another request under the same key. */
  private answerFrom(stored: StoredOutcome, request: KeyedRequest): Executed {
    if (!stored.fingerprint.equals(request.print)) {
      this.metrics.count('mismatched');
      request.log.info(
        { idempotencyKeyHash: keyHash(request.scope) },
        'idempotency key reused for another request',
      );
      throw new IdempotencyKeyReusedError();
    }
    this.metrics.count('replayed');
    request.log.info({ idempotencyKeyHash: keyHash(request.scope) }, 'idempotent replay');
    return { outcome: stored.outcome, replayed: true };
  }

  private inUse(idempotent: IdempotentRequest): IdempotencyKeyInUseError {
    this.metrics.count('in_flight_conflict');
    idempotent.log.info(
      { idempotencyKeyHash: keyHash(idempotent.scope) },
      'idempotency key in use',
    );
    return new IdempotencyKeyInUseError(RETRY_AFTER_SECONDS);
  }
}

function asHandlerRejection(error: unknown): never {
  if (error instanceof DomainError && error.status < 500) throw new HandlerRejection(error);
  throw error;
}

function scopeId({ caller, method, route, key }: KeyScope): string {
  return JSON.stringify([caller, method, route, key]);
}

/** Logs name a key by this hash, never by the key itself. */
export function keyHash(scope: KeyScope): string {
  return createHash('sha256').update(scopeId(scope)).digest('hex').slice(0, 16);
}
