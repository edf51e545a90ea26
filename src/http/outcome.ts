import { FastifyReply } from 'fastify';
import { etagOfJson } from './etag';
import { DomainError, PROBLEM_CONTENT_TYPE } from './problem';

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * A finished HTTP answer as bytes and headers: what a create sends the first time and what the
 * idempotency store keeps to replay byte for byte.
 */
export interface HttpOutcome {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** 201 Created with Location and a strong ETag of exactly the bytes sent. */
export function createdOutcome(location: string, representation: unknown): HttpOutcome {
  return representationOutcome(201, { Location: location }, representation);
}

/**
 * 202 Accepted for work that goes on in the background: Location is the status monitor, polled
 * no sooner than Retry-After seconds; the ETag is of the representation sent, as with a 201.
 */
export function acceptedOutcome(
  location: string,
  representation: unknown,
  retryAfterSeconds: number,
): HttpOutcome {
  const headers = { Location: location, 'Retry-After': String(retryAfterSeconds) };
  return representationOutcome(202, headers, representation);
}

/**
 * `headers`, a fresh object of the caller's, gets the ETag and Content-Type added in place: a
 * copy (a spread) would take V8's slow path on every create.
 */
function representationOutcome(
  status: number,
  headers: Record<string, string>,
  representation: unknown,
): HttpOutcome {
  const body = JSON.stringify(representation);
  headers.ETag = etagOfJson(body);
  headers['Content-Type'] = JSON_CONTENT_TYPE;
  return { status, headers, body };
}

/** A business rejection (409 email_taken, ...) as an outcome, so it can be stored and replayed too. */
export function problemOutcome(error: DomainError): HttpOutcome {
  return {
    status: error.status,
    headers: { ...error.headers, 'Content-Type': PROBLEM_CONTENT_TYPE },
    body: JSON.stringify(error.toProblem()),
  };
}

/** Sends an outcome as it is; creates and their replays are never cached. */
export function sendOutcome(reply: FastifyReply, outcome: HttpOutcome, replayed = false): string {
  void reply.status(outcome.status).headers(outcome.headers).header('Cache-Control', 'no-store');
  if (replayed) void reply.header('Idempotent-Replayed', 'true');
  return outcome.body;
}
