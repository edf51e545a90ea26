import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { UnauthorizedError } from '../http/problem';
import { WithRouteConfig } from '../http/route-config';

/** Who is making the request: from a verified Bearer token, or a link that stands for one. */
export interface Caller {
  userId: string;
  /**
   * When the token ends (its `exp`, or sooner: TokenService): a long-lived answer, such as the
   * event stream, ends then.
   */
  tokenExpiresAtMs?: number;
  /** When the token was issued (its `iat`): what ACCESS_TOKEN_TTL, as set now, counts from. */
  tokenIssuedAtMs?: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Named on arrival (authenticateOnArrival), before anything else reads the request. */
    caller: Caller | null;
  }
  interface FastifyContextConfig {
    /** Who may call the route (Public); unset: only a verified caller. */
    access?: Access;
  }
}

/**
 * The verified caller of a route that a link opens too, when the request has no link; 401 without
 * one, naming `linkSource`, the route that gives such links.
 */
export function requireTokenCaller(caller: Caller | null, linkSource: string): Caller {
  if (caller) return caller;
  throw new UnauthorizedError(
    `A valid Bearer access token is required, or a link from ${linkSource}.`,
  );
}

/** Who may call a route: only a verified caller (unmarked), anyone, or anyone and unread tokens. */
export type Access = undefined | 'public' | 'public, token ignored';

/**
 * Marks a route as open to anonymous callers. A valid token sent anyway names the caller (a PUT of
 * one's own user replaces it); one that is expired, forged or malformed counts as none, since what
 * anyone may do needs no token: a client that sends its stored token with every request is never
 * locked out of it once that token has expired. With `ignoresToken`, the route never reads one
 * (sign-in, and sign-up, whose Idempotency-Key is then always the anonymous caller's, so a retry
 * replays whether or not it carries the token the first request had).
 */
export const Public = ({ ignoresToken = false } = {}) =>
  WithRouteConfig({ access: ignoresToken ? 'public, token ignored' : 'public' });

/** The verified caller; null on public routes called without a token (or ignoring the one sent). */
export const CurrentCaller = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Caller | null =>
    context.switchToHttp().getRequest<FastifyRequest>().caller ?? null,
);
