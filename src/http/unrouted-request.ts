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

/** The longest path a detail repeats: a URL may be as long as Node's header limit. */
const PATH_SHOWN = 200;

/**
 * A URL no operation answers, told apart from a resource that is not there (`not_found`): a client
 * that built a wrong URL is not led to think an order or a user is gone.
 */
export class RouteNotFoundError extends DomainError {
  constructor(method: string, path: string) {
    const shown = path.length > PATH_SHOWN ? `${path.slice(0, PATH_SHOWN)}…` : path;
    super(
      404,
      'route_not_found',
      'Not found',
      `No operation answers ${method} ${shown}; the API's operations are in /api/openapi.json.`,
    );
  }
}

/**
 * Whether no route serves the request. The router matches `/api/orders/` to `/api/orders/:id` with
 * an empty id, which Nest then answers 404: no route serves that either.
 */
export function isUnrouted(request: FastifyRequest): boolean {
  return request.routeOptions.url === undefined || hasEmptyParam(request.params as object);
}

/**
 * What a request no route serves is answered, whatever went wrong with its body on the way (not
 * JSON, say): the URL is what is wrong. A 405 with the methods its path does take (RFC 9110
 * asks for them in Allow), so a client that sent the wrong method is not told the resource is
 * missing; else 404 `route_not_found` (also for a file the docs' static route does not have).
 * Null for a routed request. Fastify's refusals before routing (a malformed URL) never come here.
 */
export function unroutedRequestError(request: FastifyRequest): DomainError | null {
  if (!isUnrouted(request)) return null;
  const path = request.url.split('?', 1)[0];
  const allow = METHODS.filter((method) => serves(request, method, path));
  if (allow.length && !allow.includes(request.method))
    return new MethodNotAllowedError(request.method, allow);
  return new RouteNotFoundError(request.method, path);
}

/** Whether a route of `method` answers at `path` (with no empty parameter, as isUnrouted). */
function serves(request: FastifyRequest, method: string, path: string): boolean {
  const route = request.server.findRoute({ method, url: path });
  return route !== null && !hasEmptyParam(route.params);
}

/** A path parameter matched as empty (`*`, the docs' files, may be); runs on every request. */
function hasEmptyParam(params: object): boolean {
  const values = params as Record<string, unknown>;
  for (const name in values) if (name !== '*' && values[name] === '') return true;
  return false;
}
