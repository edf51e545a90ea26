import { applyDecorators } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import { ApiProblem } from './openapi.decorators';
import { UnsupportedMediaTypeError } from './problem';
import { sendError } from './send-problem';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route takes no request body: one is refused with 415 before it is read. */
    bodyless?: boolean;
  }
}

/**
 * A POST that takes no body (an action such as cancel): any body, JSON or not, is refused with 415
 * rather than read and ignored, so the service and its document say the same.
 */
export const TakesNoBody = () =>
  applyDecorators(
    RouteConfig({ bodyless: true }),
    ApiProblem(
      415,
      [],
      'The request has a body (`unsupported_media_type`): this operation takes none.',
    ),
  );

/** Whether the request announces a body (RFC 9112 §6.3: a length, or a transfer coding). */
export function hasBody(headers: IncomingHttpHeaders): boolean {
  return headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;
}

/**
 * Refuses a body on routes declared with `TakesNoBody`, before Fastify parses it. Without a body,
 * a Content-Type describes nothing: it is dropped, or Fastify would try to parse the absent body
 * (415 for text/plain, 400 for an empty JSON body) on a DELETE or an action POST.
 */
export function refuseBodiesWhereNoneIsTaken(fastify: FastifyInstance) {
  fastify.addHook('onRequest', async (request, reply) => {
    if (!request.routeOptions.config.bodyless) return;
    if (!hasBody(request.headers)) {
      delete request.headers['content-type'];
      return;
    }
    sendError(
      new UnsupportedMediaTypeError('This operation takes no request body.'),
      request,
      reply,
    );
    return reply;
  });
}
