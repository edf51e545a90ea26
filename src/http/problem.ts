export interface FieldError {
  field: string;
  message: string;
}

/** RFC 9457 problem details, plus the service's stable machine-readable `code`. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  errors?: FieldError[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

export function problemType(code: string): string {
  return `urn:order-service:problem:${code}`;
}

/**
 * An expected failure with a fixed HTTP meaning. Services throw subclasses of it; the global
 * filter turns it into problem+json without knowing the feature that threw it.
 */
export class DomainError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
    readonly errors?: FieldError[],
  ) {
    super(detail);
    this.name = new.target.name;
  }

  toProblem(): ProblemDetails {
    return {
      type: problemType(this.code),
      title: this.title,
      status: this.status,
      detail: this.detail,
      code: this.code,
      ...(this.errors ? { errors: this.errors } : {}),
    };
  }
}

/**
 * The client's connection closed before its request body was read whole (a cancelled upload, one
 * cut at REQUEST_TIMEOUT, one whose client left while it waited): nobody reads this answer.
 */
export class ConnectionClosedError extends DomainError {
  constructor() {
    super(
      400,
      'bad_request',
      'Bad request',
      'The connection closed before the request body arrived whole.',
    );
  }
}

export class ValidationFailedError extends DomainError {
  constructor(
    errors: FieldError[],
    detail = 'The request is not valid; see errors for each field.',
  ) {
    super(400, 'validation_failed', 'Validation failed', detail, {}, errors);
  }
}

/**
 * A refusal of the body as a whole rather than of one of its fields: one entry, field `""`
 * (docs/api.md), with `detail` to say it in a sentence.
 */
export function bodyRefusal(message: string, detail?: string): ValidationFailedError {
  return new ValidationFailedError([{ field: '', message }], detail);
}

export class NotFoundError extends DomainError {
  constructor(resource: string) {
    super(404, 'not_found', 'Not found', `No ${resource} with this id exists for the caller.`);
  }
}

export class UnauthorizedError extends DomainError {
  constructor(detail = 'A valid Bearer access token is required.') {
    super(401, 'unauthorized', 'Unauthorized', detail, { 'WWW-Authenticate': 'Bearer' });
  }
}

export class PreconditionFailedError extends DomainError {
  constructor(detail = 'If-Match does not match the current ETag of the resource.') {
    super(412, 'precondition_failed', 'Precondition failed', detail);
  }
}

export class UnsupportedMediaTypeError extends DomainError {
  constructor(detail: string) {
    super(415, 'unsupported_media_type', 'Unsupported media type', detail);
  }
}

export class ServiceUnavailableError extends DomainError {
  constructor(retryAfterSeconds = 2, detail = 'The database is unavailable; retry later.') {
    super(503, 'service_unavailable', 'Service unavailable', detail, {
      'Retry-After': String(retryAfterSeconds),
    });
  }
}
