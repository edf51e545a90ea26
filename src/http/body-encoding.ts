import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasBody, isJsonMediaType } from './bodyless';
import { UnsupportedMediaTypeError } from './problem';
import { sendError } from './send-problem';
import { isUnrouted } from './unrouted-request';

/** The `charset` parameter of a Content-Type, as sent. */
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)/i;
const UTF_8 = /^utf-?8$/i;

/** `type/subtype` (RFC 9110 §8.3.1's tokens), then parameters or nothing. */
const MEDIA_TYPE = /^\s*[\w!#$%&'*+.^`|~-]+\/[\w!#$%&'*+.^`|~-]+\s*(;|$)/;

/** Fastify reads no body on these: whatever their Content-Type, it is not judged. */
const BODY_NEVER_READ = new Set(['GET', 'HEAD']);

/** The media type as sent, without its parameters, short enough to quote back; '' if none. */
const mediaTypeOf = (contentType: string | undefined): string =>
  contentType !== undefined && MEDIA_TYPE.test(contentType)
    ? contentType.split(';')[0].trim().toLowerCase().slice(0, 100)
    : '';

/**
 * Refuses, with 415 before the body is read, what the body parsers would misread or cannot read:
 * a body with a content coding (gzip and the like are not decoded here; RFC 9110 §15.5.16), JSON
 * declared in a charset other than UTF-8 (RFC 8259 §8.1: JSON is UTF-8, and the parser decodes it
 * so), and a body of any other media type than the operation takes (JSON, or multipart on
 * `multipartRoutes`), naming both: Fastify's own refusal says only "Unsupported Media Type".
 */
export function refuseUnreadableBodies(fastify: FastifyInstance, multipartRoutes: Set<string>) {
  const refusal = (request: FastifyRequest) => {
    const multipart = multipartRoutes.has(request.routeOptions.url ?? '');
    const takes = multipart ? 'multipart/form-data' : 'application/json';
    const sent = mediaTypeOf(request.headers['content-type']);
    return new UnsupportedMediaTypeError(
      sent === ''
        ? `This operation takes ${takes}: send the body with Content-Type: ${takes}.`
        : `This operation takes ${takes}, not ${sent}.`,
    );
  };
  fastify.addHook('onRequest', (request, reply, done) => {
    // A request no route serves is answered as such (unrouted-request.ts), whatever its body.
    if (isUnrouted(request)) return done();
    if (request.headers['content-encoding'] !== undefined && refusedCoded(request, reply)) return;
    const type = request.headers['content-type'];
    if (type === undefined || BODY_NEVER_READ.has(request.method)) return done();
    if (!MEDIA_TYPE.test(type)) {
      // Fastify refuses a Content-Type that is no media type before any parser, wordlessly;
      // without a body it describes nothing, and is dropped as the bodyless routes drop any.
      if (hasBody(request.headers)) return sendError(refusal(request), request, reply);
      delete request.headers['content-type'];
      return done();
    }
    const charset = type.includes(';') ? CHARSET.exec(type)?.[1] : undefined; // rarely any
    if (charset === undefined || UTF_8.test(charset) || !isJsonMediaType(type)) return done();
    const detail = `Send JSON as UTF-8 (charset=utf-8, or no charset), not ${charset}.`;
    sendError(new UnsupportedMediaTypeError(detail), request, reply);
  });
  // Every type without a parser of its own (JSON's, and multipart's on every route). A request no
  // route takes (404, or 405 with Allow) is answered as such, its body unread, as Fastify does.
  fastify.addContentTypeParser('*', (request, _payload, done) =>
    request.is404 ? done(null, undefined) : done(refusal(request)),
  );
  fastify.addHook('preValidation', (request, reply, done) => {
    if (!request.isMultipart() || multipartRoutes.has(request.routeOptions.url ?? ''))
      return done();
    if (isUnrouted(request)) return done(); // answered as such, its body unread
    sendError(refusal(request), request, reply);
  });
}

/**
 * Refuses a body with a content coding, and says so; without a body, or on a GET or HEAD, whose
 * body is never read, there is nothing coded to refuse (answered as usual, as the document says).
 */
function refusedCoded(request: FastifyRequest, reply: FastifyReply): boolean {
  const coding = request.headers['content-encoding']!;
  const nothingCoded = BODY_NEVER_READ.has(request.method) || !hasBody(request.headers);
  if (coding.trim().toLowerCase() === 'identity' || nothingCoded) return false;
  const detail = 'Content-Encoding is not supported: send the body uncompressed.';
  void reply.header('Accept-Encoding', 'identity'); // what RFC 9110 §12.5.3 has a 415 name
  sendError(new UnsupportedMediaTypeError(detail), request, reply);
  return true;
}
