import type { FastifyReply, FastifyRequest } from 'fastify';

/** The headers the document promises on every answer. */
export function setEveryAnswersHeaders(request: FastifyRequest, reply: FastifyReply) {
  void reply.header('X-Request-Id', request.id).header('X-Content-Type-Options', 'nosniff');
}
