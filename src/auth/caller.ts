import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { FastifyRequest } from 'fastify';

/** Who is making the request, taken from a verified Bearer token. */
export interface Caller {
  userId: string;
  /** When the token expires (its `exp`): a long-lived answer, such as the event stream, ends then. */
  tokenExpiresAtMs?: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
}

export const IS_PUBLIC = 'auth:public';

/** Who may call a route: only a verified caller (unmarked), anyone, or anyone and unread tokens. */
export type Access = undefined | 'public' | 'public, token ignored';

/**
 * Marks a route as open to anonymous callers. A token sent anyway is still verified (a bad one
 * answers 401), so public routes know the caller when there is one; unless `ignoresToken`, for a
 * route that never uses one (sign-in: a client that sends its stored token with every request must
 * still get a new one once that token has expired).
 */
export const Public = ({ ignoresToken = false } = {}) =>
  SetMetadata<string, Access>(IS_PUBLIC, ignoresToken ? 'public, token ignored' : 'public');

/** The verified caller; null on public routes called without a token (or ignoring the one sent). */
export const CurrentCaller = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Caller | null =>
    context.switchToHttp().getRequest<FastifyRequest>().caller ?? null,
);
