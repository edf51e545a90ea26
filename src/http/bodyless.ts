import { applyDecorators } from '@nestjs/common';
import { ApiBody } from '@nestjs/swagger';
import type { FastifyInstance, RouteOptions } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import { isJsonObject } from './json-text';
import { ApiProblem } from './openapi.decorators';
import { UnsupportedMediaTypeError } from './problem';
import { WithRouteConfig } from './route-config';
import { addRouteHook } from './route-hooks';
import { sendError } from './send-problem';
import { isUnrouted } from './unrouted-request';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route takes no request body: one is refused with 415 (but an empty JSON object). */
    bodyless?: boolean;
  }
}

/**
 * A POST that takes no body (an action such as cancel): any body, JSON or not, is refused with 415
 * rather than read and ignored, so the service and its document say the same; but the empty JSON
 * object, which common HTTP clients send for "no data" (`axios.post(url, {})`), is read as none.
 */
export const TakesNoBody = () =>
  applyDecorators(
    WithRouteConfig({ bodyless: true }),
    ApiBody({
      required: false,
      description: 'None; an empty JSON object is read as none.',
      schema: { type: 'object', maxProperties: 0 },
    }),
    ApiProblem(
      415,
      [],
      'The request has a body other than `{}` (`unsupported_media_type`): this operation takes none.',
    ),
  );

/** Whether the request announces a body (RFC 9112 §6.3: a length, or a transfer coding). */
export function hasBody(headers: IncomingHttpHeaders): boolean {
  return headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;
}

const NO_BODY_TAKEN = 'This operation takes no request body (or only an empty JSON object, {}).';
/**
 * Room for `{}` with some whitespace: anything longer is a body, refused before it is read. So is a
 * chunked one, `{}` included: with no length to tell, reading it could take up to the JSON body
 * limit on a route that takes no body.
 */
const EMPTY_OBJECT_MAX_BYTES = 64;

/** `application/json`, any case, with or without parameters; not `application/json-seq`. */
export const isJsonMediaType = (contentType: string | undefined): boolean =>
  contentType !== undefined && /^\s*application\/json\s*(;|$)/i.test(contentType);

/**
 * Refuses a body on routes declared with `TakesNoBody`: one of another type, or JSON longer than
 * `{}` needs, before Fastify reads it; a short JSON one once parsed, unless it is `{}` (JSON that
 * cannot be read is 400, as on any route). Without a body, a Content-Type describes nothing:
 * it is dropped, or Fastify would try to parse the absent body (415 for text/plain, 400 for an
 * empty JSON body) on a DELETE or an action POST.
 */
export function refuseBodiesWhereNoneIsTaken(fastify: FastifyInstance) {
  // Global, so that it runs before refuseUnreadableBodies' onRequest: a route's own hooks run
  // after every global one of their kind, and that one would judge a Content-Type this drops.
  fastify.addHook('onRequest', (request, reply, done) => {
    // A path matched with an empty id is answered 404 route_not_found (unrouted-request.ts).
    if (!request.routeOptions.config.bodyless || isUnrouted(request)) return done();
    if (!hasBody(request.headers)) {
      delete request.headers['content-type'];
      return done();
    }
    const length = Number(request.headers['content-length']);
    if (isJsonMediaType(request.headers['content-type']) && length <= EMPTY_OBJECT_MAX_BYTES)
      return done(); // judged once parsed
    sendError(new UnsupportedMediaTypeError(NO_BODY_TAKEN), request, reply);
  });
  const bodyless = (route: RouteOptions) => route.config?.bodyless === true;
  addRouteHook(fastify, 'preValidation', bodyless, (request, reply, done) => {
    if (isEmptyObject(request.body) || isUnrouted(request)) return done();
    sendError(new UnsupportedMediaTypeError(NO_BODY_TAKEN), request, reply);
  });
}

/** No body at all, or a parsed `{}`. */
function isEmptyObject(body: unknown): boolean {
  return body === undefined || (isJsonObject(body) && Object.keys(body).length === 0);
}
