import { applyDecorators, Type } from '@nestjs/common';
import {
  ApiHeader,
  ApiProperty,
  ApiResponse,
  type ApiResponseOptions,
  ApiSecurity,
  type ReferenceObject,
} from '@nestjs/swagger';
import { headers, type ResponseHeaderName } from './openapi.headers';

/** Reference to the shared problem+json schema (registered in openapi.ts). */
export const PROBLEM = {
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
};

const PROBLEM_MEANINGS: Record<number, string> = {
  400: "Invalid input (`validation_failed`; JSON bodies are held to I-JSON's encoding rules, RFC 7493: bytes that are not well-formed UTF-8, or text with an unpaired surrogate, are refused) or a bad `Idempotency-Key` (`idempotency_key_invalid`, `idempotency_key_missing`).",
  401: 'No, bad or expired Bearer token, or two `Authorization` fields (`unauthorized`).',
  404: "No such resource for this caller (`not_found`): other users' resources are never revealed.",
  406: '`Accept` admits none of the media types this operation answers (`not_acceptable`).',
  408: 'The upload did not arrive whole within REQUEST_TIMEOUT, or sent nothing for UPLOAD_IDLE_TIMEOUT while it was being read (`request_timeout`).',
  409: 'The email belongs to another user (`email_taken`).',
  410: 'The cursor is older than EVENTS_RETENTION, so events after it may be deleted, or it is of an earlier form, or was made before JWT_SECRET changed (`cursor_expired`): read the current state again, then follow the events without a cursor.',
  412: '`If-Match` / `If-None-Match` do not hold (`precondition_failed`).',
  413: 'Body or upload too large (`payload_too_large`, `file_too_large`).',
  415: 'Wrong `Content-Type`, JSON in a charset other than UTF-8, or a `Content-Encoding` (`unsupported_media_type`); or file content outside the allow-list (`unsupported_file_type`).',
  416: 'Range past the end of the file (`range_not_satisfiable`).',
  422: 'The `Idempotency-Key` was already used for a different request (`idempotency_key_reused`).',
  429: 'Too many sign-up or sign-in requests from this IP, or being checked at this instance at once (`rate_limited`); retry after `Retry-After` seconds.',
  503: 'The database is unavailable, or this instance is shutting down (`service_unavailable`); retry after `Retry-After` seconds.',
};

/** Headers a problem answer carries (X-Request-Id, on every answer, is added in openapi.ts). */
const PROBLEM_HEADERS: Record<number, ResponseHeaderName[]> = {
  401: ['WWW-Authenticate'],
  415: ['Accept-Encoding'],
  429: ['Retry-After'],
  503: ['Retry-After'],
};

export function ApiProblems(...statuses: number[]) {
  return applyDecorators(
    ...statuses.map((status) => ApiProblem(status, PROBLEM_HEADERS[status] ?? [])),
  );
}

/** One problem answer with the named headers; `description` replaces the usual meaning. */
export function ApiProblem(status: number, names: ResponseHeaderName[], description?: string) {
  return ApiResponse({
    status,
    description: description ?? PROBLEM_MEANINGS[status],
    ...PROBLEM,
    ...(names.length > 0 ? { headers: headers(...names) } : {}),
  });
}

/** The headers of every 201 Created. */
export const CREATED_HEADERS = {
  ...headers('Location', 'ETag'),
  'Cache-Control': { description: '`no-store`.', schema: { type: 'string' } },
};

export interface CreateOptions {
  /** Problems besides 409 (documented for every create: a key in use) and 503. */
  problems: number[];
  /** Business conflicts (409 `email_taken`, ...) that are stored under the key and replayed. */
  storedConflicts?: string[];
}

/** A create: 201 with its headers and the problems it may answer (its key: `@Idempotent`). */
export function ApiCreate(type: Type<unknown>, options: CreateOptions) {
  return ApiCreateAnswering(
    {
      status: 201,
      description: 'Created.',
      type,
      headers: { ...CREATED_HEADERS, ...headers('Idempotent-Replayed') },
    },
    options,
  );
}

/**
 * A create whose work goes on in the background: 202 with the new resource, which is also the
 * status monitor at Location, polled after Retry-After; otherwise as `ApiCreate`.
 */
export function ApiAccepted(type: Type<unknown>, options: CreateOptions) {
  return ApiCreateAnswering(
    {
      status: 202,
      description: 'Accepted: the work goes on in the background; poll `Location` for its outcome.',
      type,
      headers: { ...CREATED_HEADERS, ...headers('Retry-After', 'Idempotent-Replayed') },
    },
    options,
  );
}

function ApiCreateAnswering(success: ApiResponseOptions, options: CreateOptions) {
  return applyDecorators(
    ApiResponse(success),
    ApiProblems(...options.problems.filter((status) => status !== 409), 503),
    ApiCreateConflict(options.storedConflicts ?? []),
  );
}

/** 409: the key still in flight (with Retry-After), or a stored business conflict (replayed). */
function ApiCreateConflict(storedConflicts: string[]) {
  const inUse =
    'The same `Idempotency-Key` is still in flight (`idempotency_key_in_use`, with `Retry-After`).';
  if (storedConflicts.length === 0) return ApiProblem(409, ['Retry-After'], inUse);
  const codes = storedConflicts.map((code) => `\`${code}\``).join(', ');
  return ApiProblem(
    409,
    ['Retry-After', 'Idempotent-Replayed'],
    `A business conflict (${codes}), stored under the key and replayed to its retries; or: ${inUse}`,
  );
}

/**
 * A read of one resource: 200 with ETag, 304 on If-None-Match, 404 for anyone but the owner.
 * `more`: headers both answers may carry besides ETag.
 */
export function ApiRead(type: Type<unknown>, ...more: ResponseHeaderName[]) {
  return applyDecorators(
    ApiReadAnswers(type, { headers: headers('ETag', ...more) }),
    ApiProblems(400, 401, 404, 503),
  );
}

/** A read of the caller's own resource named by the token, not the path: no id to be malformed. */
export function ApiReadByToken(type: Type<unknown>) {
  return applyDecorators(
    ApiReadAnswers(type, { headers: headers('ETag') }),
    ApiProblems(401, 404, 503),
  );
}

/**
 * A page of a list, read as any resource is (`replyWithEtag`): 200 with its ETag, 304, 412;
 * `description` says what it lists.
 */
export function ApiReadPage(type: Type<unknown>, description: string) {
  return ApiReadAnswers(type, { description, headers: headers('ETag') });
}

/**
 * A page of a list kept without an ETag (`linkNextPage`): 200 with `Link` to the next page;
 * `description` says what it lists.
 */
export function ApiListPage(type: Type<unknown>, description: string) {
  return applyDecorators(
    ApiResponse({
      status: 200,
      type,
      description,
      headers: {
        Link: {
          description: '`<...>; rel="next"` when there is an older page.',
          schema: { type: 'string' },
        },
      },
    }),
    ApiProblems(400, 401, 503),
  );
}

/** A read's 200 (with `ok`'s description and headers), its 304 and its preconditions. */
function ApiReadAnswers(
  type: Type<unknown>,
  ok: { description?: string; headers: Record<string, ReferenceObject> },
) {
  return applyDecorators(
    ApiReadPreconditions(),
    ApiResponse({ status: 200, type, ...ok }),
    ApiResponse({
      status: 304,
      description: 'Not modified: If-None-Match holds the current ETag.',
      headers: ok.headers,
    }),
  );
}

/**
 * The conditional headers a change of an existing resource takes (`assertPreconditions`), and its
 * 412; `action` names the change ("Cancel", "Delete"). `whenDone`: how the change is answered when
 * it was already made, where that answer does not depend on If-Match (RFC 9110 §13.1.1).
 */
export function ApiChangePreconditions(action: string, whenDone?: string) {
  const ifMatch = `${action} only if the current ETag is listed (\`*\`: any); weak tags never match.`;
  return applyDecorators(
    ApiHeader({
      name: 'If-Match',
      required: false,
      description: whenDone ? `${ifMatch} ${whenDone}` : ifMatch,
    }),
    ApiHeader({
      name: 'If-None-Match',
      required: false,
      description: `${action} only if the current ETag is not listed (\`*\`: never, as the resource exists).`,
    }),
    ApiProblem(
      412,
      [],
      '`If-Match` or `If-None-Match` does not hold for the current ETag (`precondition_failed`): nothing changed.',
    ),
  );
}

/** The conditional headers a read takes (`answeredByPreconditions`), and its 412. */
export function ApiReadPreconditions() {
  return applyDecorators(
    ApiHeader({ name: 'If-None-Match', required: false }),
    ApiHeader({
      name: 'If-Match',
      required: false,
      description: 'Answer only if the current ETag is listed (`*`: any); weak tags never match.',
    }),
    ApiProblem(412, [], '`If-Match` does not hold the current ETag (`precondition_failed`).'),
  );
}

/**
 * Routes that need `Authorization: Bearer <accessToken>`. One requirement only: ApiBearerAuth()
 * beside ApiSecurity('bearer') listed the same scheme twice.
 */
export const ApiBearer = () => ApiSecurity('bearer');

/** Routes open to anyone that act for the token's user when one is sent (`{}`: no credentials). */
export const ApiOptionalBearer = () => applyDecorators(ApiSecurity('bearer'), ApiSecurity({}));

/**
 * Routes that a Bearer token or a `link` in the query opens (requireTokenCaller): no credentials
 * pass the security list, so the 401 names both.
 */
export const ApiTokenOrLink = (...everyAnswersHeaders: ResponseHeaderName[]) =>
  applyDecorators(
    ApiOptionalBearer(),
    ApiProblem(
      401,
      ['WWW-Authenticate', ...everyAnswersHeaders],
      'No `link`, and no valid Bearer token (`unauthorized`).',
    ),
  );

/** A resource's id (a UUIDv7 the service made, or a user's own from PUT): `format: uuid`. */
export const ApiUuid = () => ApiProperty({ type: 'string', format: 'uuid' });

/** An instant as the API writes it (RFC 3339, UTC, milliseconds): `format: date-time`. */
export const ApiTimestamp = () => ApiProperty({ type: 'string', format: 'date-time' });
