import { NotAcceptableException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import Negotiator from 'negotiator';

export const EVENT_STREAM_TYPE = 'text/event-stream';

/** What the stream is, as an Accept header may name it: SSE is UTF-8 always. */
const EVENT_STREAM_OFFERS = [EVENT_STREAM_TYPE, `${EVENT_STREAM_TYPE};charset=utf-8`];

/**
 * 406 unless `accept` (absent: anything) admits text/event-stream, by RFC 9110 §12.5.1: the most
 * specific range that names it decides, so `text/event-stream;q=0, *\/*` refuses it.
 */
export function requireEventStreamAccepted(accept: string | undefined) {
  if (accept === undefined || accept.trim() === '') return;
  if (new Negotiator({ headers: { accept } }).mediaTypes(EVENT_STREAM_OFFERS).length === 0)
    throw new NotAcceptableException('This operation answers text/event-stream only.');
}

/**
 * The answer depends on Accept (the stream or a 406) and on Last-Event-ID (where the stream
 * starts), so a cache must key on both (RFC 9110 §12.5.5), beside the Origin CORS may have named.
 */
export function varyByStreamHeaders(reply: FastifyReply) {
  const named = String(reply.getHeader('vary') ?? '');
  const listed = new Set(named.split(',').map((name) => name.trim().toLowerCase()));
  const missing = STREAM_VARY.filter((name) => !listed.has(name.toLowerCase()));
  if (missing.length > 0) void reply.header('Vary', [named, ...missing].filter(Boolean).join(', '));
}

const STREAM_VARY = ['Accept', 'Last-Event-ID'];

/**
 * Takes the answer out of Fastify's hands (its send path would wait for a body that never ends)
 * and writes the head of an event stream. Headers the onRequest hooks already set on the reply
 * (X-Request-Id, nosniff, CORS) go with it: a hijacked reply would otherwise drop them.
 */
export function startEventStream(reply: FastifyReply): ServerResponse {
  reply.hijack();
  streams.add(reply);
  reply.raw.writeHead(200, {
    ...(reply.getHeaders() as OutgoingHttpHeaders), // lower-case names, as these
    'content-type': EVENT_STREAM_TYPE,
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no', // nginx and the like: pass each message on at once
  });
  return reply.raw;
}

const streams = new WeakSet<FastifyReply>();

/**
 * Whether `reply` became an event stream. Fastify still runs its onResponse hooks when the server
 * ends one (not when the client does), so the request metrics ask, and leave it out.
 */
export const isEventStream = (reply: FastifyReply): boolean => streams.has(reply);
