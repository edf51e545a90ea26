import { FastifyReply, FastifyRequest } from 'fastify';
import { INTERNAL_ERROR_PROBLEM, toDomainError } from './error-mapping';
import { routeOf } from './logger';
import { ConnectionClosedError, PROBLEM_CONTENT_TYPE } from './problem';

/** Writes `error` as problem+json; unexpected errors are logged with the request id and hidden. */
export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  if (reply.sent) return;
  // An answer given before the body arrived whole (an upload refused mid-stream, a slow drip):
  // close the connection rather than wait for, or read, the rest.
  if (!request.raw.complete) void reply.header('Connection', 'close');
  const domainError = bodyCutOff(request, error) ? ABORTED : toDomainError(error);
  if (!domainError) {
    request.log.error({ err: error }, 'unhandled error');
    void reply
      .status(500)
      .header('Content-Type', PROBLEM_CONTENT_TYPE)
      .send(INTERNAL_ERROR_PROBLEM);
    return;
  }
  if (domainError instanceof ConnectionClosedError)
    request.log.info(
      { method: request.method, route: routeOf(request) },
      'the connection closed before the request body arrived whole',
    );
  // A cause (a database error) with its stack; an answer given on purpose (a draining replica's
  // readiness, asked every few hundred milliseconds by a balancer) by its detail alone.
  if (domainError.status >= 500)
    request.log.warn(
      error === domainError ? { detail: domainError.detail } : { err: error },
      domainError.code,
    );
  void reply
    .status(domainError.status)
    .headers(domainError.headers)
    .header('Content-Type', PROBLEM_CONTENT_TYPE)
    .header('Cache-Control', 'no-store')
    .send(domainError.toProblem());
}

const ABORTED = new ConnectionClosedError();

/**
 * The connection closed before the body arrived whole (the client cancelled an upload, or
 * REQUEST_TIMEOUT cut it, answered 408 below HTTP): the request stream's own ECONNRESET, not the
 * database's (no 503 logged at warn), and nobody reads the answer. Any other error keeps its
 * meaning, even on a connection that has gone.
 */
function bodyCutOff(request: FastifyRequest, error: unknown): boolean {
  const { code } = (error ?? {}) as { code?: unknown };
  return code === 'ECONNRESET' && request.raw.destroyed && !request.raw.complete;
}
