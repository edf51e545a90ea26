import { FastifyReply, FastifyRequest, LogController } from 'fastify';
import pino, { Logger } from 'pino';

/**
 * Paths pino replaces with "[redacted]" in any log line. The request line below names only chosen
 * fields, so these guard the other lines: whatever a future log call passes in, secrets stay out.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'res.headers["set-cookie"]',
  'password',
  '*.password',
  'accessToken',
  '*.accessToken',
  // TypeORM's QueryFailedError carries the statement's parameters: raw keys, hashes, bodies.
  'err.parameters',
];

/** The one pino instance: Fastify's request logger, and Nest's logger through nestjs-pino. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'order-service' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    destination,
  );
}

/**
 * Shapes Fastify's own request logging: one line a request, when it completes, with the route
 * template (never the raw URL, which holds ids and query strings), and no "incoming request" line.
 */
export class RequestLogController extends LogController {
  override incomingRequest(): void {}

  /** The completion line already says 404; the default one would log the raw URL. */
  override routeNotFound(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const line = {
      method: request.method,
      route: routeOf(request),
      statusCode: reply.statusCode,
      responseTime: Math.round(reply.elapsedTime * 1000) / 1000,
    };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}

/** The matched route's template (`/api/orders/:id`), or `unmatched` for a URL no route serves. */
export function routeOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? 'unmatched';
}
