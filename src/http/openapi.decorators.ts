import { applyDecorators, Type } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiResponse, ApiSecurity } from '@nestjs/swagger';

/** Reference to the shared problem+json schema (registered in openapi.ts). */
const PROBLEM = {
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
};

const PROBLEM_MEANINGS: Record<number, string> = {
  400: 'Invalid input (`validation_failed`) or a bad `Idempotency-Key` (`idempotency_key_invalid`, `idempotency_key_missing`).',
  401: 'No, bad or expired Bearer token (`unauthorized`), or wrong credentials (`invalid_credentials`).',
  404: "No such resource for this caller (`not_found`): other users' resources are never revealed.",
  408: 'The upload did not arrive whole within REQUEST_TIMEOUT (`request_timeout`).',
  409: 'A business conflict (`email_taken`, `order_reference_taken`), or the same `Idempotency-Key` still in flight (`idempotency_key_in_use`, with `Retry-After`).',
  412: '`If-Match` / `If-None-Match` do not hold (`precondition_failed`).',
  413: 'Body or upload too large (`payload_too_large`, `file_too_large`).',
  415: 'Wrong `Content-Type` (`unsupported_media_type`) or file content outside the allow-list (`unsupported_file_type`).',
  416: 'Range past the end of the file (`range_not_satisfiable`).',
  422: 'The `Idempotency-Key` was already used for a different request (`idempotency_key_reused`).',
  429: 'Too many sign-up or sign-in requests from this IP (`rate_limited`); retry after `Retry-After` seconds.',
  503: 'The database is unavailable (`service_unavailable`); retry after `Retry-After` seconds.',
};

export function ApiProblems(...statuses: number[]) {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({ status, description: PROBLEM_MEANINGS[status], ...PROBLEM }),
    ),
  );
}

const CREATED_HEADERS = {
  Location: {
    description: 'URL of the new resource (absolute when PUBLIC_BASE_URL is set).',
    schema: { type: 'string' },
  },
  ETag: {
    description: 'Strong validator of the representation in the body.',
    schema: { type: 'string' },
  },
  'Cache-Control': { description: '`no-store`.', schema: { type: 'string' } },
  'Idempotent-Replayed': {
    description: '`true` when this is the stored answer to an earlier request with the same key.',
    schema: { type: 'string' },
  },
};

const IDEMPOTENCY_KEY_DESCRIPTION =
  'Makes the create exactly-once (draft-ietf-httpapi-idempotency-key-header-07). An sf-string (`"abc"`) or bare (`abc`) key of 1-255 visible ASCII characters, scoped to the caller, method and route, and remembered for IDEMPOTENCY_TTL (24 h by default). A retry with the same key and request gets the stored response byte for byte with `Idempotent-Replayed: true`; another request under the key gets 422; a retry while the first is still running waits up to IDEMPOTENCY_WAIT, then gets 409 with `Retry-After`.';

/** A create: 201 with its headers, the Idempotency-Key header, and the problems it may answer. */
export function ApiCreate(
  type: Type<unknown>,
  options: { idempotencyKey: 'required' | 'optional'; problems: number[] },
) {
  return applyDecorators(
    ApiHeader({
      name: 'Idempotency-Key',
      required: options.idempotencyKey === 'required',
      description: IDEMPOTENCY_KEY_DESCRIPTION,
    }),
    ApiResponse({ status: 201, description: 'Created.', type, headers: CREATED_HEADERS }),
    ApiProblems(...options.problems, 503),
  );
}

/** A read of one resource: 200 with ETag, 304 on If-None-Match, 404 for anyone but the owner. */
export function ApiRead(type: Type<unknown>) {
  return applyDecorators(
    ApiHeader({ name: 'If-None-Match', required: false }),
    ApiResponse({ status: 200, type, headers: { ETag: { schema: { type: 'string' } } } }),
    ApiResponse({
      status: 304,
      description: 'Not modified: If-None-Match holds the current ETag.',
    }),
    ApiProblems(400, 401, 404, 503),
  );
}

/** Routes that need `Authorization: Bearer <accessToken>`. */
export const ApiBearer = () => applyDecorators(ApiBearerAuth(), ApiSecurity('bearer'));
