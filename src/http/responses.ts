import { FastifyReply } from 'fastify';
import { etagOfJson, noneMatchHits } from './etag';
import { JSON_CONTENT_TYPE } from './outcome';

/**
 * A representation serialized once, for both its ETag and the body sent (Fastify sends a string
 * as it is); the type parameter says what it is a representation of.
 */
export type JsonBody<T> = string & { readonly representationOf?: T };

/** 200 with ETag, or 304 without a body when If-None-Match already holds the current tag. */
export function replyWithEtag<T>(reply: FastifyReply, representation: T): JsonBody<T> | undefined {
  const body: JsonBody<T> = JSON.stringify(representation);
  if (answeredNotModified(reply, etagOfJson(body))) return undefined;
  void reply.header('Content-Type', JSON_CONTENT_TYPE);
  return body;
}

/**
 * Gives a representation its ETag, to be revalidated on every use, and the status 304 when the
 * request's If-None-Match holds it already: true then, and the caller sends no body.
 */
export function answeredNotModified(reply: FastifyReply, etag: string): boolean {
  void reply.header('ETag', etag).header('Cache-Control', 'private, no-cache');
  if (!noneMatchHits(reply.request.headers['if-none-match'], etag)) return false;
  void reply.status(304);
  return true;
}

/** 200 after a state change, with the new ETag so the client can chain conditional requests. */
export function replyUpdated<T>(reply: FastifyReply, representation: T): JsonBody<T> {
  const body: JsonBody<T> = JSON.stringify(representation);
  void reply.status(200).header('ETag', etagOfJson(body)).header('Cache-Control', 'no-store');
  void reply.header('Content-Type', JSON_CONTENT_TYPE);
  return body;
}
