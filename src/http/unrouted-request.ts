import { HttpException } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { DomainError } from './problem';

/** The methods the API's routes take; a path's Allow lists those it serves, in this order. */
const METHODS: readonly string[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

export class MethodNotAllowedError extends DomainError {
  constructor(method: string, allow: readonly string[]) {
    const methods = allow.join(', ');
    super(
      405,
      'method_not_allowed',
      'Method not allowed',
      `${method} is not served at this path; it takes ${methods}.`,
      { Allow: methods },
    );
  }
}

/**
 * A URL no operation answers, told apart from a resource that is not there (`not_found`): a client
 * that built a wrong URL is not led to think an order or a user is gone.
 */
export class RouteNotFoundError extends DomainError {
  constructor(method: string, path: string) {
    super(
      404,
      'route_not_found',
      'Not found',
      `No operation answers ${method} ${path}; the API's operations are in /api/openapi.json.`,
    );
  }
}

/**
 * For a request no route serves: a 405 with the methods its path does take (RFC 9110 asks for
 * them in Allow), so a client that sent the wrong method is not told the resource is missing, and
 * Nest's 404 for it (`Cannot GET /x`) as `route_not_found` where no method is served there either.
 * Null for a routed request, or for another error of an unrouted one (Fastify's 400 for a
 * malformed URL), which stays as it is.
 */
export function unroutedRequestError(request: FastifyRequest, error: unknown): DomainError | null {
  if (request.routeOptions.url !== undefined) return null;
  const path = request.url.split('?', 1)[0];
  const allow = METHODS.filter((method) => serves(request, method, path));
  if (allow.length) {
    return allow.includes(request.method) ? null : new MethodNotAllowedError(request.method, allow);
  }
  const isNestNotFound = error instanceof HttpException && error.getStatus() === 404;
  return isNestNotFound ? new RouteNotFoundError(request.method, path) : null;
}

/**
 * Whether a route of `method` answers at `path`. The router matches `/api/orders/` to
 * `/api/orders/:id` with an empty id, which Nest then answers 404: no route serves that.
 */
function serves(request: FastifyRequest, method: string, path: string): boolean {
  const route = request.server.findRoute({ method, url: path });
  return (
    route !== null &&
    Object.entries(route.params).every(([name, value]) => name === '*' || value !== '')
  );
}
