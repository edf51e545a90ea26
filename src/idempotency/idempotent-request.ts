import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import { countHeaderFields } from '../http/header-fields';
import { FingerprintInput } from './fingerprint';
import {
  IdempotencyKeyInvalidError,
  IdempotencyKeyMissingError,
  parseIdempotencyKey,
} from './idempotency-key';
import type { TableRead } from './create-executor';
import { KeyScope } from './idempotency.repository';

/** How a create route takes an Idempotency-Key: declared on the route with `@Idempotent(...)`. */
export interface IdempotencyOptions {
  /** Missing key: 400 idempotency_key_missing when true; otherwise the request simply runs once. */
  required: boolean;
  /**
   * An exact retry may be answered before Nest's guards, pipes and validation (see
   * `answerRetriesEarly`), from this process's memory and the table `always`, or from the table
   * only `while-retries-are-common` (a read per create saved where retries are rare). Only for
   * JSON creates whose full path guards nothing (the token is checked on arrival), or a limit on
   * what creates cost (exports', which must see every replay to leave it uncounted, so `always`):
   * a limit on guesses (sign-up's) must count retries too, and an upload's fingerprint needs its
   * bytes.
   */
  earlyReplay?: TableRead;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    idempotency?: IdempotencyOptions;
  }
}

/** A keyed create as the executor needs it: the key's scope and the request to fingerprint. */
export interface IdempotentRequest {
  scope: KeyScope;
  request: FingerprintInput;
  log: FastifyBaseLogger;
  /** The caller rolls the create back (the synthetic probe): it counts as no stored key. */
  rolledBack?: true;
}

export const ANONYMOUS_CALLER = 'anonymous';

/** The route's declared options; undefined on routes that take no key. */
export const idempotencyOptionsOf = (request: FastifyRequest): IdempotencyOptions | undefined =>
  request.routeOptions.config.idempotency;

type Read = { value: IdempotentRequest | null } | { error: unknown };

/** Each request's key is read once, whether the early hook or the route asks first. */
const reads = new WeakMap<FastifyRequest, Read>();

/**
 * The key and its scope (the caller, or "anonymous", the method, the route template), or null
 * when no key was sent to a route that does not require one. Needs `request.caller` resolved.
 */
export function idempotentRequestOf(request: FastifyRequest): IdempotentRequest | null {
  let read = reads.get(request);
  if (!read) {
    try {
      read = { value: readKey(request, idempotencyOptionsOf(request)?.required ?? false) };
    } catch (error) {
      read = { error };
    }
    reads.set(request, read);
  }
  if ('error' in read) throw read.error;
  return read.value;
}

function readKey(request: FastifyRequest, required: boolean): IdempotentRequest | null {
  const fields = countHeaderFields(request.raw.rawHeaders, 'idempotency-key');
  if (fields === 0) {
    if (required) throw new IdempotencyKeyMissingError();
    return null;
  }
  if (fields > 1) throw new IdempotencyKeyInvalidError('must be sent once');
  const key = parseIdempotencyKey(String(request.headers['idempotency-key']));
  const { method } = request;
  return {
    scope: {
      caller: request.caller?.userId ?? ANONYMOUS_CALLER,
      method,
      route: request.routeOptions.url ?? request.url,
      key,
    },
    request: { method, path: request.url.split('?')[0], body: request.body },
    log: request.log,
  };
}
