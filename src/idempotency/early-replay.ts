import { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { sendOutcome } from '../http/outcome';
import { addRouteHook } from '../http/route-hooks';
import { CreateExecutor } from './create-executor';
import { idempotencyOptionsOf, IdempotentRequest, idempotentRequestOf } from './idempotent-request';

/**
 * Answers an exact retry of a create (same caller, route, key and body) before Nest's guards,
 * pipes and body validation run, on routes declared `@Idempotent({ earlyReplay })`: the
 * retry gets the stored answer whatever they would say, and they are most of a replay's cost.
 * The answer comes from `CreateExecutor.lookUp`. Anything else goes on to the full path, which
 * gives every error its own answer: a bad key, another body under the key, a key not stored yet,
 * a database that does not answer. The caller was named on arrival (authenticateOnArrival).
 */
export function answerRetriesEarly(
  fastify: FastifyInstance,
  executor: Pick<CreateExecutor, 'lookUp'>,
) {
  const repliesEarly = (route: RouteOptions) =>
    route.config?.idempotency?.earlyReplay !== undefined;
  addRouteHook(fastify, 'preHandler', repliesEarly, async (request, reply) => {
    const tableRead = idempotencyOptionsOf(request)?.earlyReplay;
    const idempotent = tableRead && mayBeRetry(request) && keyedRequestOf(request);
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
    Boolean(request.caller) && // null: a public route called without a token
    !request.isMultipart()
  );
}

/** The request's key and scope; null sends it to the full path. */
function keyedRequestOf(request: FastifyRequest): IdempotentRequest | null {
  try {
    return idempotentRequestOf(request);
  } catch {
    return null; // a malformed key: the full path answers 400
  }
}
