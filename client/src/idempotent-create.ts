import { ApiError, CreateUnconfirmedError } from './problem.js';
import type { components } from './schema.js';
import {
  attemptWithin,
  type AttemptOutcome,
  isTransportFailure,
  pause,
  retryAfterMs,
  retryDelayMs,
  type RetryPolicy,
} from './retry.js';

/** The response headers as the OpenAPI document types them. */
type Headers = components['headers'];

/** A created resource and what its 201 (or 202) said about it, typed as the document states. */
export interface Created<T> {
  data: T;
  /**
   * The `Location` header resolved against the request URL, so it is absolute and can be fetched.
   * Null only when the header could not be read (a browser whose CORS setup does not expose it).
   */
  location: Headers['Location'] | null;
  etag: Headers['ETag'] | null;
  /** The answer's `Retry-After` in seconds, as sent: for a 202, when to look at `location` first. */
  retryAfter: Headers['Retry-After'] | null;
  /** The same in milliseconds (an HTTP-date is read too). Null when absent. */
  retryAfterMs: number | null;
  /** True when the service answered with the stored response of an earlier request with this key. */
  replayed: boolean;
  /** The key every attempt sent (the caller's, or a new UUID). */
  idempotencyKey: string;
  attempts: number;
}

/** Per-call options of every create. */
export interface CreateOptions {
  /** One key per logical operation: pass the key of an earlier try to repeat it exactly once. */
  idempotencyKey?: string;
  /** Aborting it stops the call, retries included; an abort is never retried. */
  signal?: AbortSignal;
  /** Per attempt; a timed-out attempt is retried with the same key. */
  timeoutMs?: number;
}

export interface CreateSettings {
  retry: RetryPolicy;
  timeoutMs: number;
}

/**
 * One request as openapi-fetch answers it with `parseAs: 'text'`: `data`, the body's text, on 2xx
 * (read here, so that a body that is not JSON is an answer rather than a SyntaxError), `error`
 * (the parsed body) otherwise.
 */
export type SendAttempt = (
  headers: { 'Idempotency-Key': string },
  signal: AbortSignal,
) => Promise<{ data?: string; error?: unknown; response: Response }>;

/**
 * Sends a create until it succeeds, fails for good, or runs out of attempts, always with the same
 * Idempotency-Key: the service then creates the resource at most once however many attempts
 * reached it, and answers the later ones with the stored 201 (`replayed`).
 */
export async function createIdempotently<T>(
  send: SendAttempt,
  options: CreateOptions,
  settings: CreateSettings,
): Promise<Created<T>> {
  const idempotencyKey = options.idempotencyKey ?? newIdempotencyKey();
  for (let attempt = 1; ; attempt++) {
    const timeoutMs = options.timeoutMs ?? settings.timeoutMs;
    const outcome = await attemptOnce(send, idempotencyKey, options.signal, timeoutMs);
    if (outcome.kind === 'answer' && outcome.response.ok) {
      // A 2xx that is no resource (a captive portal's page, a proxy's empty 204) confirms nothing.
      if (!isResource(outcome.body))
        throw new ApiError(outcome.response.status, outcome.body, attempt, idempotencyKey);
      return created(outcome.response, outcome.body as T, idempotencyKey, attempt);
    }
    const delay = retryDelayMs(outcome, attempt, settings.retry);
    if (delay === null) throw failure(outcome, attempt, idempotencyKey);
    await pause(delay, options.signal);
  }
}

function attemptOnce(
  send: SendAttempt,
  idempotencyKey: string,
  callerSignal: AbortSignal | undefined,
  timeoutMs: number,
): Promise<AttemptOutcome> {
  return attemptWithin(
    async (signal) => {
      const { data, error, response } = await send({ 'Idempotency-Key': idempotencyKey }, signal);
      return { response, body: response.ok ? jsonOrUndefined(data) : error };
    },
    callerSignal,
    timeoutMs,
  );
}

/** Every resource a create answers with has its id. */
export function isResource(body: unknown): body is { id: string } {
  return (
    typeof body === 'object' && body !== null && typeof (body as { id?: unknown }).id === 'string'
  );
}

/** The text as JSON; undefined when there is none or it is not JSON. */
export function jsonOrUndefined(text: string | undefined): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined; // not JSON: no resource, which the caller refuses
  }
}

function created<T>(
  response: Response,
  data: T,
  idempotencyKey: string,
  attempts: number,
): Created<T> {
  const location = response.headers.get('Location');
  return {
    data,
    location: location !== null && response.url ? new URL(location, response.url).href : location,
    etag: response.headers.get('ETag'),
    retryAfter: retryAfterSeconds(response.headers.get('Retry-After')),
    retryAfterMs: retryAfterMs(response.headers.get('Retry-After')),
    replayed: response.headers.get('Idempotent-Replayed') === 'true',
    idempotencyKey,
    attempts,
  };
}

/** `Retry-After` as the document types it (integer seconds); null when absent or an HTTP-date. */
function retryAfterSeconds(header: string | null): number | null {
  return header !== null && /^\d+$/.test(header.trim()) ? Number(header) : null;
}

/**
 * The last answer as an ApiError, or what the last attempt threw: for a create (`idempotencyKey`)
 * a network failure or timeout becomes a CreateUnconfirmedError, so the caller has the key to
 * send it again with.
 */
export function failure(
  outcome: AttemptOutcome,
  attempts: number,
  idempotencyKey?: string,
): unknown {
  if (outcome.kind === 'answer')
    return new ApiError(outcome.response.status, outcome.body, attempts, idempotencyKey);
  if (idempotencyKey !== undefined && isTransportFailure(outcome.error))
    return new CreateUnconfirmedError(idempotencyKey, attempts, outcome.error);
  return outcome.error;
}

type RandomSource = Pick<Crypto, 'getRandomValues'> & Partial<Pick<Crypto, 'randomUUID'>>;

/**
 * A random UUID v4. Browsers offer `crypto.randomUUID` only in secure contexts (https,
 * localhost), so a page served over plain http elsewhere falls back to `getRandomValues`.
 */
export function newIdempotencyKey(source: RandomSource = globalThis.crypto): string {
  if (typeof source.randomUUID === 'function') return source.randomUUID();
  const bytes = source.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40; // version 4
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 9562 variant
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    hex.slice(12, 16),
    hex.slice(16, 20),
    hex.slice(20),
  ].join('-');
}
