import type { FastifyInstance, FastifyRequest } from 'fastify';
import { UnauthorizedError } from '../http/problem';
import { sendError } from '../http/send-problem';
import type { Access, Caller } from './caller';
import type { TokenService } from './token.service';

/** What resolves a request's verified caller (null without credentials). */
type Callers = Pick<TokenService, 'callerOf'>;

/**
 * Names every request's caller as it arrives (`request.caller`), before its body is read: a route
 * that needs a token (every route not declared `@Public()`) answers 401 to a request without a
 * valid one whatever its body says, so a body from nobody is never read, parsed or validated. A
 * request no route serves is left to its 404 or 405, and a preflight to CORS, which answers it
 * before this hook.
 */
export function authenticateOnArrival(fastify: FastifyInstance, callers: Callers) {
  fastify.decorateRequest('caller', null); // every request object of one shape
  fastify.addHook('onRequest', (request, reply, done) => {
    const { url, config } = request.routeOptions;
    if (url === undefined) return done();
    callerFor(callers, request, config.access).then(
      (caller) => {
        request.caller = caller;
        if (caller || config.access) return done();
        sendError(new UnauthorizedError(), request, reply);
      },
      (error: unknown) => sendError(error, request, reply),
    );
  });
}

/** The caller a route's access reads: a public route takes a token it cannot verify as none. */
function callerFor(
  callers: Callers,
  request: FastifyRequest,
  access: Access,
): Promise<Caller | null> {
  if (access === 'public, token ignored') return Promise.resolve(null);
  const caller = callers.callerOf(request);
  return access === 'public' ? caller.catch(anonymousIfUnauthorized) : caller;
}

function anonymousIfUnauthorized(error: unknown): null {
  if (error instanceof UnauthorizedError) return null;
  throw error;
}
