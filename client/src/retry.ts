import { isProblem } from './problem.js';

/** How a create is retried. Every retry re-sends the same Idempotency-Key and the same body. */
export interface RetryPolicy {
  /** Requests sent at most, the first included. 1 turns retries off. */
  attempts: number;
  /** The first backoff; it doubles per attempt (with jitter) up to `maxDelayMs`. */
  baseDelayMs: number;
  /**
   * The longest pause. A `Retry-After` longer than this ends the retries: a frontend should not
   * sit silent for minutes, the caller gets the error and decides.
   */
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attempts: 5,
  baseDelayMs: 200,
  maxDelayMs: 10_000,
};

/** What one attempt ended with: an HTTP answer (any status) or an exception from fetch. */
export type AttemptOutcome =
  { kind: 'answer'; response: Response; body: unknown } | { kind: 'thrown'; error: unknown };

/**
 * The pause before the next attempt, or null when this outcome must not be retried. Retried:
 * network failures and per-attempt timeouts (the server may or may not have done the work; the
 * same key makes that safe), a gateway's 502 and 504 (the same: it lost or gave up on the
 * service's answer), 503 and 429, and 409 `idempotency_key_in_use` (the first request with this
 * key is still running). Never another 4xx, nor a 500: the same request would fail the same way.
 */
export function retryDelayMs(
  outcome: AttemptOutcome,
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number | null {
  if (attempt >= policy.attempts) return null;
  const backoff = jitteredBackoffMs(attempt, policy, random);
  if (outcome.kind === 'thrown') return isTransportFailure(outcome.error) ? backoff : null;
  if (!isRetryableAnswer(outcome.response.status, outcome.body)) return null;
  const retryAfter = retryAfterMs(outcome.response.headers.get('Retry-After'));
  if (retryAfter === null) return backoff;
  return retryAfter > policy.maxDelayMs ? null : Math.max(retryAfter, backoff);
}

function isRetryableAnswer(status: number, body: unknown): boolean {
  if (isBusyOrGatewayFailure(status)) return true;
  return status === 409 && isProblem(body) && body.code === 'idempotency_key_in_use';
}

/**
 * 503 and 429 (the service or its limiter asks for a pause), 502 and 504 (a gateway lost the
 * service's answer, or gave up waiting for it): the same request may well succeed later.
 */
export function isBusyOrGatewayFailure(status: number): boolean {
  return status === 502 || status === 503 || status === 504 || status === 429;
}

/**
 * fetch rejects with a TypeError for every network failure (refused, reset, a body cut off), and
 * with the signal's reason, a `TimeoutError`, when our per-attempt timeout fires. A caller's own
 * abort is an `AbortError` and is not retried.
 */
export function isTransportFailure(error: unknown): boolean {
  if (error instanceof TypeError) return true;
  return typeof error === 'object' && error !== null && (error as Error).name === 'TimeoutError';
}

/** "Equal jitter": half the exponential step plus a random half, so clients do not retry in lockstep. */
export function jitteredBackoffMs(
  attempt: number,
  policy: RetryPolicy,
  random: () => number,
): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(step / 2 + (random() * step) / 2);
}

/** `Retry-After` in delay-seconds or as an HTTP date (RFC 9110 §10.2.3); null when absent or bad. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (header === null) return null;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as the caller aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * One request within `timeoutMs`, as an AttemptOutcome: the answer (any status) with its body, or
 * what fetch threw. A caller's own abort is rethrown, never an outcome: it is not ours to retry.
 */
export async function attemptWithin(
  send: (signal: AbortSignal) => Promise<{ response: Response; body: unknown }>,
  callerSignal: AbortSignal | undefined,
  timeoutMs: number,
): Promise<AttemptOutcome> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout;
  try {
    return { kind: 'answer', ...(await send(signal)) };
  } catch (error) {
    if (callerSignal?.aborted) throw error;
    // Known by which signal fired, not by the error's name: engines have rejected a timed-out
    // fetch with an AbortError, which would pass for the caller's own abort.
    if (timeout.aborted) return { kind: 'thrown', error: timeout.reason };
    return { kind: 'thrown', error };
  }
}
