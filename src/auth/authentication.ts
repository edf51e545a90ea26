import type { FastifyInstance, FastifyRequest } from 'fastify';
import { UnauthorizedError } from '../http/problem';
import { sendError } from '../http/send-problem';
import { isUnrouted } from '../http/unrouted-request';
import type { Caller } from './caller';
import type { TokenService } from './token.service';

/** What resolves a request's verified caller (null without credentials). */
type Callers = Pick<TokenService, 'callerOf'>;

/**
 * Names every request's caller as it arrives (`request.caller`), before its body is read: a route
 * that needs a token (every route not declared `@Public()`) answers 401 to a request without a
 * valid one whatever its body says, so a body from nobody is never parsed or validated (Node only
 * drains it, or the connection closes). A request no route serves is left to its 404 or 405, and a
 * preflight to CORS, which answers it before this hook.
 */
export function authenticateOnArrival(fastify: FastifyInstance, callers: Callers) {
  fastify.decorateRequest('caller', null); // every request object of one shape
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!readsToken(request)) return done(); // nobody: no promise to wait for
    const isPublic = request.routeOptions.config.access !== undefined;
    const caller = callers.callerOf(request);
    (isPublic ? caller.catch(anonymousIfUnauthorized) : caller).then(
      (verified) => {
        request.caller = verified;
        if (verified || isPublic) return done();
        sendError(new UnauthorizedError(), request, reply);
      },
      (error: unknown) => sendError(error, request, reply),
    );
  });
}

/**
 * Whether the request's caller depends on its token: not on a path no route serves, nor on a
 * route that ignores tokens, nor on a public route called without one.
 */
function readsToken(request: FastifyRequest): boolean {
  const { config } = request.routeOptions;
  if (isUnrouted(request) || config.access === 'public, token ignored') return false;
  return config.access !== 'public' || request.headers.authorization !== undefined;
}

/** On a public route a token it cannot verify counts as none: what anyone may do needs none. */
function anonymousIfUnauthorized(error: unknown): Caller | null {
  if (error instanceof UnauthorizedError) return null;
  throw error;
}
