import type { HeaderObject, ReferenceObject } from '@nestjs/swagger';

const text = { type: 'string' } as const;

/**
 * The response headers the service sends, defined once under components.headers and referenced
 * from each response that carries them, so every operation describes them alike.
 */
export const RESPONSE_HEADERS = {
  'X-Request-Id': {
    description:
      "The request's id: the caller's own X-Request-Id when it is 1-128 characters of `A-Za-z0-9._:-`, otherwise a new UUID. Every log line of the request carries it as `reqId`.",
    required: true,
    schema: text,
  },
  Location: {
    description: 'URL of the new resource (absolute when PUBLIC_BASE_URL is set).',
    required: true,
    schema: text,
  },
  ETag: {
    description: 'Strong validator of the representation.',
    required: true,
    schema: text,
  },
  'Idempotent-Replayed': {
    description: '`true` when this is the stored answer to an earlier request with the same key.',
    schema: { type: 'string', enum: ['true'] },
  },
  'Retry-After': {
    description: 'Seconds to wait before retrying.',
    schema: { type: 'integer', minimum: 0 },
  },
  'WWW-Authenticate': {
    description: '`Bearer` when the access token is missing, malformed, invalid or expired.',
    schema: text,
  },
  'Accept-Encoding': {
    description:
      '`identity` on a 415 for a body sent with a `Content-Encoding`: only uncompressed bodies are read.',
    schema: text,
  },
  Vary: {
    description:
      "The request headers the answer depends on besides the method and URI: `Accept, Last-Event-ID` on the event stream's answers, after `Origin` when CORS is on.",
    schema: text,
  },
  'Accept-Ranges': { description: '`bytes`: the content can be read in ranges.', schema: text },
  'Content-Disposition': {
    description: '`attachment` with the uploaded filename (RFC 6266, `filename*` for non-ASCII).',
    schema: text,
  },
  'Content-Security-Policy': {
    description:
      "`default-src 'none'; sandbox`: the bytes load nothing and run nothing if rendered.",
    schema: text,
  },
  'Content-Range': {
    description: '`bytes a-b/size` on 206; `bytes */size` on 416.',
    required: true,
    schema: text,
  },
} satisfies Record<string, HeaderObject>;

export type ResponseHeaderName = keyof typeof RESPONSE_HEADERS;

/** References to the named shared headers, for a response's `headers`. */
export function headers(...names: ResponseHeaderName[]): Record<string, ReferenceObject> {
  return Object.fromEntries(names.map((name) => [name, { $ref: `#/components/headers/${name}` }]));
}
