import type { FastifyInstance } from 'fastify';
import { hasBody } from './bodyless';
import { UnsupportedMediaTypeError } from './problem';
import { sendError } from './send-problem';

/** The `charset` parameter of a Content-Type, as sent. */
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)/i;
const UTF_8 = /^utf-?8$/i;
const JSON_TYPE = /^application\/json\b/i;

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
    if (charset === undefined || UTF_8.test(charset) || !JSON_TYPE.test(type!)) return done();
    const detail = `Send JSON as UTF-8 (charset=utf-8, or no charset), not ${charset}.`;
    sendError(new UnsupportedMediaTypeError(detail), request, reply);
  });
}
