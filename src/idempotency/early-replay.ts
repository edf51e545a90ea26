import { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import type { TokenService } from '../auth/token.service';
import { sendOutcome } from '../http/outcome';
import { addRouteHook } from '../http/route-hooks';
import { CreateExecutor } from './create-executor';
import { idempotencyOptionsOf, IdempotentRequest, idempotentRequestOf } from './idempotent-request';

/** What resolves a request's verified caller (null when its credentials do not hold). */
type Callers = Pick<TokenService, 'callerOf'>;

/**
 * Answers an exact retry of a create (same caller, route, key and body) before Nest's guards,
 * pipes and body validation run, on routes declared `@Idempotent({ earlyReplay })`: the
 * retry gets the stored answer whatever they would say, and they are most of a replay's cost.
 * The answer comes from `CreateExecutor.lookUp`. Anything else goes on to the full path, which
 * gives every error its own answer: a bad token or key, another body under the key, a key not
 * stored yet, a database that does not answer.
 */
export function answerRetriesEarly(
  fastify: FastifyInstance,
  executor: Pick<CreateExecutor, 'lookUp'>,
  callers: Callers,
) {
  const repliesEarly = (route: RouteOptions) =>
    route.config?.idempotency?.earlyReplay !== undefined;
  addRouteHook(fastify, 'preHandler', repliesEarly, async (request, reply) => {
    const tableRead = idempotencyOptionsOf(request)?.earlyReplay;
    const idempotent = tableRead && mayBeRetry(request) && (await keyedRequestOf(request, callers));
    if (!idempotent) return;
    const replayed = await executor.lookUp(idempotent, tableRead).catch((error: Error) => {
      request.log.warn({ err: error }, 'an early replay failed; the full path answers');
      return null;
    });
    if (replayed) return reply.send(sendOutcome(reply, replayed.outcome, true));
  });
}

function mayBeRetry(request: FastifyRequest): boolean {
  return (
    request.headers['idempotency-key'] !== undefined &&
    request.headers.authorization !== undefined &&
    !request.isMultipart()
  );
}

/** Resolves the caller (once: the guard reuses it) and the key; null sends it to the full path. */
async function keyedRequestOf(
  request: FastifyRequest,
  callers: Callers,
): Promise<IdempotentRequest | null> {
  const caller = await callers.callerOf(request).catch(() => null);
  if (!caller) return null;
  request.caller = caller;
  try {
    return idempotentRequestOf(request);
  } catch {
    return null; // a malformed key: the full path answers 400
  }
}
