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
  const answeredFromMemory = new WeakSet<FastifyRequest>();
  fastify.addHook('preHandler', async (request, reply) => {
    const idempotent =
      mayBeRetry(request, routes) && (await idempotentRequestOf(request, callerOf));
    if (!idempotent) return;
    const remembered = idempotency.replayRemembered(idempotent);
    if (remembered) answeredFromMemory.add(request);
    const replayed =
      remembered ?? (retries.retriesAreCommon ? await readStored(idempotency, idempotent) : null);
    if (!replayed) return;
    return reply.send(sendOutcome(reply, replayed.outcome, true));
  });
  // Every create and replay counts, wherever it was answered, except from memory: those need no read.
  fastify.addHook('onResponse', async (request, reply) => {
    if (!mayBeRetry(request, routes) || reply.statusCode >= 300) return;
    if (!answeredFromMemory.has(request))
      retries.record(reply.getHeader('idempotent-replayed') === 'true');
  });
}

function readStored(idempotency: EarlyAnswers, idempotent: IdempotentRequest) {
  return idempotency.replayStored(idempotent).catch((error: Error) => {
    idempotent.log.warn(
      { err: error },
      'reading a stored answer early failed; the full path answers',
    );
    return null;
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

async function idempotentRequestOf(
  request: FastifyRequest,
  callerOf: CallerOf,
): Promise<IdempotentRequest | null> {
  const caller = await callerOf(request);
  if (!caller) return null;
  request.caller = caller;
  try {
    return readIdempotentRequest(request, { required: false });
  } catch {
    return null; // a malformed key: the full path answers 400
  }
}
