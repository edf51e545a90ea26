import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import {
  countKeyFields,
  IdempotencyKeyInvalidError,
  IdempotencyKeyMissingError,
  parseIdempotencyKey,
} from './idempotency-key';
import type { IdempotentRequest } from './idempotency.service';

export interface IdempotentOptions {
  /** Missing key: 400 idempotency_key_missing when true; otherwise the request simply runs once. */
  required: boolean;
}

export const ANONYMOUS_CALLER = 'anonymous';

/**
 * The key and its scope (the token's user or "anonymous", the method, the route template), or
 * null when no key was sent to a route that does not require one.
 */
export function readIdempotentRequest(
  request: FastifyRequest,
  options: IdempotentOptions,
): IdempotentRequest | null {
  const fields = countKeyFields(request.raw.rawHeaders);
  if (fields === 0) {
    if (options.required) throw new IdempotencyKeyMissingError();
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

/** Opts a create route into the idempotency store; pass the parameter to IdempotencyService.execute. */
export const Idempotent = createParamDecorator(
  (options: IdempotentOptions | undefined, context: ExecutionContext): IdempotentRequest | null =>
    readIdempotentRequest(
      context.switchToHttp().getRequest<FastifyRequest>(),
      options ?? { required: false },
    ),
);
