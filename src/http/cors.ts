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
  origins: readonly string[],
  request: FastifyRequest,
  reply: FastifyReply,
) {
  for (const [name, value] of corsHeaders(origins, request.headers.origin))
    void reply.header(name, value);
}

/** The CORS headers the CORS hook would set on an answer to `origin`: none without CORS_ORIGINS. */
export function corsHeaders(
  origins: readonly string[],
  origin: string | undefined,
): [name: string, value: string][] {
  if (origins.length === 0) return [];
  if (origin === undefined || !origins.includes(origin)) return [['Vary', 'Origin']];
  return [
    ['Vary', 'Origin'],
    ['Access-Control-Allow-Origin', origin],
    ['Access-Control-Expose-Headers', CORS_EXPOSED_HEADERS.join(', ')],
  ];
}
