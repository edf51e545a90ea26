import { DomainError, ValidationFailedError } from '../http/problem';

/** An event's place in the feed, as clients hold it (`nextCursor`, the stream's `id:`). */
export function encodeEventCursor(position: string): string {
  return Buffer.from(`event:${position}`).toString('base64url');
}

/**
 * The position after which to read; anything that is not a cursor this service made is 400, in
 * the one spelling it makes (no padding, no leading zero).
 */
export function decodeEventCursor(text: string, field = 'after'): string {
  const match = /^event:(0|[1-9]\d{0,18})$/.exec(Buffer.from(text, 'base64url').toString('utf8'));
  if (
    match &&
    BigInt(match[1]) <= BigInt('9223372036854775807') &&
    encodeEventCursor(match[1]) === text
  )
    return match[1];
  throw notACursor(field);
}

const notACursor = (field: string) =>
  new ValidationFailedError([{ field, message: `${field} is not a cursor this API returned` }]);

/** A cursor from before events the retention has deleted since: resuming from it would skip them. */
export class CursorExpiredError extends DomainError {
  constructor(field: string) {
    super(
      410,
      'cursor_expired',
      'Cursor expired',
      `Events after the cursor in ${field} are past EVENTS_RETENTION and may be deleted: ` +
        'read the current state again, then follow the events without a cursor.',
    );
  }
}

/**
 * Refuses a position (decoded from `field`) that resuming from would skip events: 400 past the
 * last position given to any event (no cursor the API gives is; every event numbered until the
 * counter reached it would be skipped), 410 below the retention's horizon.
 */
export function assertResumable(
  position: string,
  { numbered, deletedThrough }: { numbered: string; deletedThrough: string },
  field: string,
) {
  if (BigInt(position) > BigInt(numbered)) throw notACursor(field);
  if (BigInt(position) < BigInt(deletedThrough)) throw new CursorExpiredError(field);
}
