import type { FastifyInstance, FastifyRequest } from 'fastify';
import { hasBody, isJsonMediaType } from './bodyless';
import { UnsupportedMediaTypeError } from './problem';
import { sendError } from './send-problem';

/** The `charset` parameter of a Content-Type, as sent. */
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)/i;
const UTF_8 = /^utf-?8$/i;

/**
 * Refuses, with 415 before the body is read, what the body parsers would misread: a body with a
 * content coding (gzip and the like are not decoded here; RFC 9110 §15.5.16), and JSON declared in
 * a charset other than UTF-8 (RFC 8259 §8.1: JSON is UTF-8, and the parser decodes it so).
 */
export function refuseUnreadableBodies(fastify: FastifyInstance) {
  fastify.addHook('onRequest', (request, reply, done) => {
    const coding = request.headers['content-encoding'];
    // Without a body there is nothing coded: a GET that carries the header is answered as usual.
    if (
      coding !== undefined &&
      coding.trim().toLowerCase() !== 'identity' &&
      hasBody(request.headers)
    ) {
      const detail = 'Content-Encoding is not supported: send the body uncompressed.';
      void reply.header('Accept-Encoding', 'identity'); // what RFC 9110 §12.5.3 has a 415 name
      return sendError(new UnsupportedMediaTypeError(detail), request, reply);
    }
    const type = request.headers['content-type'];
    const charset = type?.includes(';') ? CHARSET.exec(type)?.[1] : undefined; // rarely any
    if (charset === undefined || UTF_8.test(charset) || !isJsonMediaType(type)) return done();
    const detail = `Send JSON as UTF-8 (charset=utf-8, or no charset), not ${charset}.`;
    sendError(new UnsupportedMediaTypeError(detail), request, reply);
  });
}

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
 * Bodies of a media type the service does not read are refused with 415 before they are read,
 * naming what the operation takes (JSON, or multipart on `multipartRoutes`) and what was sent:
 * Fastify's own refusal says only "Unsupported Media Type".
 */
export function refuseOtherMediaTypes(fastify: FastifyInstance, multipartRoutes: Set<string>) {
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
  // Every type without a parser of its own (JSON's, and multipart's on every route).
  fastify.addContentTypeParser('*', (request, _payload, done) => done(refusal(request)));
  // A Content-Type that is no media type at all Fastify refuses before any parser, wordlessly;
  // without a body it describes nothing, and is dropped as the bodyless routes drop any.
  fastify.addHook('onRequest', (request, reply, done) => {
    const type = request.headers['content-type'];
    if (type === undefined || MEDIA_TYPE.test(type) || BODY_NEVER_READ.has(request.method))
      return done();
    if (hasBody(request.headers)) return sendError(refusal(request), request, reply);
    delete request.headers['content-type'];
    done();
  });
  fastify.addHook('preValidation', (request, reply, done) => {
    if (!request.isMultipart() || multipartRoutes.has(request.routeOptions.url ?? ''))
      return done();
    sendError(refusal(request), request, reply);
  });
}
