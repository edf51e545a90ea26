import type { components } from './schema.js';

/** RFC 9457 problem details as the service sends them, with its stable `code`. */
export type Problem = components['schemas']['Problem'];

/**
 * A non-2xx answer. `code` is the problem's machine-readable code (`validation_failed`,
 * `order_reference_taken`, ...), or `unexpected_response` when the body was not problem+json
 * (a proxy's HTML error page, say).
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  /** The whole problem body when there was one: `errors` lists the fields of a 400. */
  readonly problem: Problem | undefined;
  /** How many requests were sent before giving up (1 when the answer was not retryable). */
  readonly attempts: number;
  /** A create's key: the same create sent again with it is done at most once. */
  readonly idempotencyKey: string | undefined;

  constructor(status: number, body: unknown, attempts = 1, idempotencyKey?: string) {
    const problem = isProblem(body) ? body : undefined;
    super(problem ? `${status} ${problem.code}: ${problem.detail}` : `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = problem?.code ?? 'unexpected_response';
    this.title = problem?.title ?? `HTTP ${status}`;
    this.detail = problem?.detail ?? '';
    this.problem = problem;
    this.attempts = attempts;
    this.idempotencyKey = idempotencyKey;
  }
}

/**
 * A create whose last attempt got no answer (a network failure, a timeout) and that is not retried
 * further: it may have been done or not. Sent again with `idempotencyKey`, it is done at most
 * once and answers as the first did (`replayed`); `cause` is the last attempt's error.
 */
export class CreateUnconfirmedError extends Error {
  constructor(
    readonly idempotencyKey: string,
    readonly attempts: number,
    cause: unknown,
  ) {
    super(
      `no answer to attempt ${attempts}, the last: send the create again with its idempotencyKey`,
      {
        cause,
      },
    );
    this.name = 'CreateUnconfirmedError';
  }
}

export function isProblem(body: unknown): body is Problem {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as Problem).code === 'string' &&
    typeof (body as Problem).status === 'number'
  );
}
