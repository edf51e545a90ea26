import { DomainError } from '../http/problem';

export class IdempotencyKeyReusedError extends DomainError {
  constructor() {
    super(
      422,
      'idempotency_key_reused',
      'Idempotency-Key reused',
      'This Idempotency-Key was already used for a different request; use a new key for a new request.',
    );
  }
}

export class IdempotencyKeyInUseError extends DomainError {
  constructor(retryAfterSeconds: number) {
    super(
      409,
      'idempotency_key_in_use',
      'Idempotency-Key in use',
      'A request with this Idempotency-Key is still being processed; retry after a moment.',
      { 'Retry-After': String(retryAfterSeconds) },
    );
  }
}
