import { HttpException } from '@nestjs/common';
import { errorCodes } from 'fastify';
import {
  foreignKeyViolation,
  isDatabaseUnavailable,
  isUnstorableText,
} from '../database/database-errors';
import {
  bodyRefusal,
  DomainError,
  problemType,
  ServiceUnavailableError,
  UnauthorizedError,
  ValidationFailedError,
} from './problem';
import { JSON_BODY_LIMIT } from './json-depth';

const CODES_BY_STATUS: Record<number, [code: string, title: string]> = {
  400: ['bad_request', 'Bad request'],
  401: ['unauthorized', 'Unauthorized'],
  404: ['not_found', 'Not found'],
  405: ['method_not_allowed', 'Method not allowed'],
  406: ['not_acceptable', 'Not acceptable'],
  413: ['payload_too_large', 'Payload too large'],
  414: ['uri_too_long', 'URI too long'],
  415: ['unsupported_media_type', 'Unsupported media type'],
  429: ['rate_limited', 'Too many requests'],
};

/**
 * Fastify's own request errors, by their message: Nest's error handler hands them on as
 * HttpExceptions of their message alone (RoutesResolver.mapExternalException), without their code.
 * The body limit is the JSON parser's: uploads are read as streams, with a limit and an answer
 * (file_too_large) of their own. The JSON parser's other refusals are the service's own errors.
 */
const FASTIFY_DETAILS = new Map([
  [
    new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE().message,
    `JSON bodies may be at most ${JSON_BODY_LIMIT} bytes (${JSON_BODY_LIMIT / 1024} KiB).`,
  ],
]);

/** Maps any thrown value to a DomainError, so every answer is problem+json with a stable code. */
export function toDomainError(error: unknown): DomainError | null {
  if (error instanceof DomainError) return error;
  if (isDatabaseUnavailable(error)) return new ServiceUnavailableError();
  // A valid token whose user is gone (deleted, or another database): the write's user_id FK fails.
  if (foreignKeyViolation(error)?.endsWith('_user_id_fkey'))
    return new UnauthorizedError('The access token names a user that no longer exists.');
  if (isUnstorableText(error)) {
    return bodyRefusal('text must not contain NUL (\\u0000) characters');
  }
  if (error instanceof HttpException) return fromHttpException(error);
  return fromFastify(error);
}

/** Errors that carry an HTTP status of their own: the router's refusals (a malformed URL) and such. */
function fromFastify(error: unknown): DomainError | null {
  const { statusCode } = (error ?? {}) as { statusCode?: number };
  if (typeof statusCode !== 'number' || statusCode < 400 || statusCode >= 500) return null;
  return fromStatus(statusCode, null);
}

function fromHttpException(error: HttpException): DomainError {
  const detail = detailOf(error);
  const fastifyDetail = detail === null ? undefined : FASTIFY_DETAILS.get(detail);
  if (fastifyDetail) return fromStatus(error.getStatus(), fastifyDetail);
  // Fastify's other 400s, handed on by their message alone: to the client that is invalid input
  // like any other.
  if (error.getStatus() === 400)
    return new ValidationFailedError(
      [{ field: '', message: detail ?? 'invalid request' }],
      detail ?? undefined,
    );
  return fromStatus(error.getStatus(), detail);
}

function fromStatus(status: number, detail: string | null): DomainError {
  const [code, title] = CODES_BY_STATUS[status] ?? [`http_${status}`, 'Request failed'];
  return new DomainError(status, code, title, detail ?? title);
}

function detailOf(error: HttpException): string | null {
  const response = error.getResponse();
  const message =
    typeof response === 'object' ? (response as { message?: unknown }).message : response;
  return typeof message === 'string' ? message : null;
}

export const INTERNAL_ERROR_PROBLEM = {
  type: problemType('internal_error'),
  title: 'Internal server error',
  status: 500,
  detail: 'An unexpected error occurred; it has been logged with the request id.',
  code: 'internal_error',
};
