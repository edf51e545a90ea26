import { FastifyInstance, FastifyRequest } from 'fastify';
import type { Caller } from '../auth/caller';
import { sendOutcome } from '../http/outcome';
import { IdempotencyService } from './idempotency.service';
import { readIdempotentRequest } from './idempotent.decorator';

export type RememberedAnswers = Pick<IdempotencyService, 'replayRemembered'>;

/** The verified caller of a request, or null when its credentials are missing or do not hold. */
export type CallerOf = (request: FastifyRequest) => Promise<Caller | null>;

/**
 * Answers an exact retry of a create this process answered lately (same caller, route, key and
 * body) from memory, before Nest's guards, pipes and body validation run: the retry gets the
 * stored answer whatever they would say, and they were most of a replay's cost. Anything else
 * goes on to the full path, which gives every error its own answer: a bad token or key, another
 * body under the key, a key this process does not remember. Only `routes` qualify: JSON creates
 * whose full path guards nothing but the token (sign-up's rate limit must count its retries, and
 * uploads are multipart).
 */
export function answerRetriesFromMemory(
  fastify: FastifyInstance,
  idempotency: RememberedAnswers,
  callerOf: CallerOf,
  routes: ReadonlySet<string>,
) {
  fastify.addHook('preHandler', async (request, reply) => {
    if (!mayBeRetry(request, routes)) return;
    const caller = await callerOf(request);
    if (!caller) return;
    const replayed = rememberedAnswer(idempotency, request, caller);
    if (!replayed) return;
    return reply.send(sendOutcome(reply, replayed.outcome, true));
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

function rememberedAnswer(idempotency: RememberedAnswers, request: FastifyRequest, caller: Caller) {
  request.caller = caller;
  let idempotent;
  try {
    idempotent = readIdempotentRequest(request, { required: false });
  } catch {
    return null; // a malformed key: the full path answers 400
  }
  return idempotent ? idempotency.replayRemembered(idempotent) : null;
}
