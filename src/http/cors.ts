import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { setEveryAnswersHeaders } from './every-answer';

const CORS_EXPOSED_HEADERS = [
  'Location',
  'ETag',
  'Idempotent-Replayed',
  'Retry-After',
  'Link',
  'X-Request-Id',
  'Content-Disposition', // a download's filename
  'Content-Range', // a partial download's place in the whole
];
/** The exposed headers as one header value. */
const EXPOSED = CORS_EXPOSED_HEADERS.join(', ');
const CORS_ALLOWED_HEADERS = [
  'Content-Type',
  'Authorization',
  'Idempotency-Key',
  'If-Match',
  'If-None-Match',
  'X-Request-Id',
  'Last-Event-ID', // the event stream's resume point, re-sent on every reconnect
  'Range', // a download resumed
  'If-Range',
];

/** Frontend apps at `origins` may call the API and read the headers creates answer with. */
export function enableCors(app: NestFastifyApplication, origins: string[]) {
  app.enableCors({
    origin: origins,
    methods: ['GET', 'POST', 'PUT', 'DELETE'],
    allowedHeaders: CORS_ALLOWED_HEADERS,
    exposedHeaders: CORS_EXPOSED_HEADERS,
    maxAge: 600,
    // An OPTIONS without Origin or Access-Control-Request-Method is no preflight, but a plain
    // OPTIONS: answered 204 too, rather than @fastify/cors's strict text/plain 400.
    strictPreflight: false,
  });
  // Nest runs the CORS hook before any hook of the service's, and it answers an OPTIONS itself:
  // that answer gets every answer's headers on its way out.
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onSend', (request, reply, payload, done) => {
      if (request.method === 'OPTIONS') setEveryAnswersHeaders(request, reply);
      done(null, payload);
    });
}

/**
 * CORS on an answer given before any hook ran (a router-level rejection: a malformed URL, a path
 * parameter too long), as the CORS hook would have set it: without it a browser app sees a
 * network error rather than the problem and its X-Request-Id.
 */
export function allowOriginBeforeHooks(
  origins: string[],
  request: FastifyRequest,
  reply: FastifyReply,
) {
  if (origins.length === 0) return;
  void reply.header('Vary', 'Origin');
  const origin = request.headers.origin;
  if (origin === undefined || !origins.includes(origin)) return;
  void reply
    .header('Access-Control-Allow-Origin', origin)
    .header('Access-Control-Expose-Headers', EXPOSED);
}

/**
 * CORS for an answer to a request Node could not parse, whose Origin is unread (a 400 for bytes
 * that are not HTTP, a 408, a 431): readable from any origin, so that browser code sees the problem
 * and its X-Request-Id rather than a network error. Safe because such an answer is the same for
 * everyone and holds nothing of any user's; none without CORS_ORIGINS, as on every answer.
 */
export function unparsedRequestCors(origins: readonly string[]): [name: string, value: string][] {
  if (origins.length === 0) return [];
  return [
    ['Access-Control-Allow-Origin', '*'],
    ['Access-Control-Expose-Headers', EXPOSED],
  ];
}
