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
 * For a request no route serves: a 405 with the methods its path does take (RFC 9110 asks for
 * them in Allow), so a client that sent the wrong method is not told the resource is missing; null
 * when no method is served there either (a 404 then).
 */
export function methodNotAllowed(request: FastifyRequest): MethodNotAllowedError | null {
  if (request.routeOptions.url !== undefined) return null;
  const url = request.url.split('?', 1)[0];
  const allow = METHODS.filter((method) => serves(request, method, url));
  if (!allow.length || allow.includes(request.method)) return null;
  return new MethodNotAllowedError(request.method, allow);
}

/**
 * Whether a route of `method` answers at `url`. The router matches `/api/orders/` to
 * `/api/orders/:id` with an empty id, which Nest then answers 404: no route serves that.
 */
function serves(request: FastifyRequest, method: string, url: string): boolean {
  const route = request.server.findRoute({ method, url });
  return (
    route !== null &&
    Object.entries(route.params).every(([name, value]) => name === '*' || value !== '')
  );
}
