import { FastifyReply, FastifyRequest } from 'fastify';
import { etagOf, noneMatchHits } from './etag';

/** 200 with ETag, or 304 without a body when If-None-Match already holds the current tag. */
export function replyWithEtag<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  body: T,
): T | undefined {
  const etag = etagOf(body);
  void reply.header('ETag', etag).header('Cache-Control', 'private, no-cache');
  if (noneMatchHits(request.headers['if-none-match'], etag)) {
    void reply.status(304);
    return undefined;
  }
  return body;
}

/** 200 after a state change, with the new ETag so the client can chain conditional requests. */
export function replyUpdated<T>(reply: FastifyReply, body: T): T {
  void reply.status(200).header('ETag', etagOf(body)).header('Cache-Control', 'no-store');
  return body;
}
