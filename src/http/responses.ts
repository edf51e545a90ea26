import { Readable } from 'node:stream';
import { FastifyReply } from 'fastify';
import { etagOfJson, noneMatchHits } from './etag';
import { assertPreconditions } from './preconditions';
import { JSON_CONTENT_TYPE } from './outcome';

/**
 * A representation serialized once, for both its ETag and the body sent (Fastify sends a string
 * as it is); the type parameter says what it is a representation of.
 */
export type JsonBody<T> = string & { readonly representationOf?: T };

/** Headers an answer of a representation carries (a page's Link, Retry-After while it changes). */
export type RepresentationHeaders = Record<string, string>;

/**
 * 200 with ETag and `more` headers, or 304 without a body when If-None-Match already holds the
 * current tag (412 when an If-Match does not).
 */
export function replyWithEtag<T>(
  reply: FastifyReply,
  representation: T,
  more: RepresentationHeaders = {},
): JsonBody<T> | undefined {
  return replyWithEtagOfJson(reply, JSON.stringify(representation), more);
}

/** replyWithEtag of a representation already serialized. */
export function replyWithEtagOfJson<T>(
  reply: FastifyReply,
  body: JsonBody<T>,
  more: RepresentationHeaders = {},
): JsonBody<T> | undefined {
  if (answeredByPreconditions(reply, etagOfJson(body), more)) return undefined;
  return sendJson(reply, body);
}

/** `body` to be sent as it is, as JSON. */
export function sendJson<T>(reply: FastifyReply, body: JsonBody<T>): JsonBody<T> {
  void reply.header('Content-Type', JSON_CONTENT_TYPE);
  return body;
}

/**
 * Evaluates a read's preconditions against the representation's ETag in RFC 9110's order
 * (§13.2.2): an If-Match that does not hold throws 412, on a read too (a client resuming a
 * download checks it still reads the same bytes), before any of the representation's headers are
 * set, so the 412 carries none of them. Otherwise the answer gets the ETag, to be revalidated on
 * every use, and `more`; an If-None-Match that holds is 304: true then, and the caller sends no body.
 */
export function answeredByPreconditions(
  reply: FastifyReply,
  etag: string,
  more: RepresentationHeaders = {},
): boolean {
  const { 'if-match': ifMatch, 'if-none-match': ifNoneMatch } = reply.request.headers;
  assertPreconditions({ ifMatch }, etag);
  void reply.headers({ ...more, ETag: etag, 'Cache-Control': 'private, no-cache' });
  if (!noneMatchHits(ifNoneMatch, etag)) return false;
  void reply.status(304);
  return true;
}

/** 200 after a state change, with the new ETag so the client can chain conditional requests. */
export function replyUpdated<T>(reply: FastifyReply, representation: T): JsonBody<T> {
  return replyUpdatedWithJson(reply, JSON.stringify(representation));
}

/** replyUpdated of a representation already serialized. */
export function replyUpdatedWithJson<T>(reply: FastifyReply, body: JsonBody<T>): JsonBody<T> {
  void reply.status(200).header('ETag', etagOfJson(body)).header('Cache-Control', 'no-store');
  return sendJson(reply, body);
}

/**
 * Sends `body()` on a GET; on a HEAD never calls it: Node drops the bytes of a HEAD's answer but
 * Fastify would still drain a stream whole (a file's, read from storage). An empty stream stands
 * in, since Fastify's HEAD route keeps the Content-Length already set for a stream (for no body at
 * all it would say 0).
 */
export function sendUnlessHead(reply: FastifyReply, body: () => Readable) {
  void reply.send(reply.request.method === 'HEAD' ? Readable.from([]) : body());
}
