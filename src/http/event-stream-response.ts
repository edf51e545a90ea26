import { NotAcceptableException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

export const EVENT_STREAM_TYPE = 'text/event-stream';

/** 406 unless `accept` (absent: anything) admits text/event-stream. */
export function requireEventStreamAccepted(accept: string | undefined) {
  if (accept === undefined || accept.trim() === '') return;
  const admitted = accept.split(',').some((range) => {
    const [type, ...parameters] = range.split(';').map((part) => part.trim().toLowerCase());
    const refused = parameters.some((parameter) => /^q=0(\.0{0,3})?$/.test(parameter));
    return !refused && [EVENT_STREAM_TYPE, 'text/*', '*/*'].includes(type ?? '');
  });
  if (!admitted) throw new NotAcceptableException('This operation answers text/event-stream only.');
}

/**
 * Takes the answer out of Fastify's hands (its send path would wait for a body that never ends)
 * and writes the head of an event stream. Headers the onRequest hooks already set on the reply
 * (X-Request-Id, nosniff, CORS) go with it: a hijacked reply would otherwise drop them.
 */
export function startEventStream(reply: FastifyReply): ServerResponse {
  reply.hijack();
  reply.raw.writeHead(200, {
    ...(reply.getHeaders() as OutgoingHttpHeaders), // lower-case names, as these
    'content-type': EVENT_STREAM_TYPE,
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no', // nginx and the like: pass each message on at once
  });
  return reply.raw;
}
