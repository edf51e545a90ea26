import { FastifyInstance, FastifyRequest } from 'fastify';
import type { Caller } from '../auth/caller';
import { sendOutcome } from '../http/outcome';
import { IdempotencyService, IdempotentRequest } from './idempotency.service';
import { readIdempotentRequest } from './idempotent.decorator';
import { RetryShare } from './retry-share';

export type EarlyAnswers = Pick<IdempotencyService, 'replayRemembered' | 'replayStored'>;

/** The verified caller of a request, or null when its credentials are missing or do not hold. */
export type CallerOf = (request: FastifyRequest) => Promise<Caller | null>;

/**
 * Answers an exact retry of a create (same caller, route, key and body) before Nest's guards, pipes
 * and body validation run: the retry gets the stored answer whatever they would say, and they were
 * most of a replay's cost. The answer comes from this process's memory or, while retries are
 * common here (see RetryShare), from one read of the store. Anything else goes on to the full
 * path, which gives every error its own answer: a bad token or key, another body under the key, a
 * key not stored yet, a database that does not answer. Only `routes` qualify: JSON creates whose
 * full path guards nothing but the token (sign-up's rate limit must count its retries, and
 * uploads are multipart).
 */
export function answerRetriesEarly(
  fastify: FastifyInstance,
  idempotency: EarlyAnswers,
  callerOf: CallerOf,
  routes: ReadonlySet<string>,
  retries = new RetryShare(),
) {
  fastify.addHook('preHandler', async (request, reply) => {
    if (!mayBeRetry(request, routes)) return;
    const caller = await callerOf(request);
    if (!caller) return;
    const idempotent = idempotentRequestOf(request, caller);
    if (!idempotent) return;
    const replayed =
      idempotency.replayRemembered(idempotent) ??
      (retries.retriesAreCommon
        ? await idempotency.replayStored(idempotent).catch(() => null)
        : null);
    if (!replayed) return;
    return reply.send(sendOutcome(reply, replayed.outcome, true));
  });
  fastify.addHook('onResponse', async (request, reply) => {
    if (mayBeRetry(request, routes) && reply.statusCode < 300)
      retries.record(reply.getHeader('idempotent-replayed') === 'true');
  });
}

function mayBeRetry(request: FastifyRequest, routes: ReadonlySet<string>): boolean {
  return (
    request.method === 'POST' &&
    routes.has(request.routeOptions.url ?? '') &&
    request.headers['idempotency-key'] !== undefined &&
    request.headers.authorization !== undefined &&
    !request.isMultipart()
  );
}

function idempotentRequestOf(request: FastifyRequest, caller: Caller): IdempotentRequest | null {
  request.caller = caller;
  try {
    return readIdempotentRequest(request, { required: false });
  } catch {
    return null; // a malformed key: the full path answers 400
  }
}
