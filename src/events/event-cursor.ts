import { ValidationFailedError } from '../http/problem';

/** An event's place in the feed, as clients hold it (`nextCursor`, the stream's `id:`). */
export function encodeEventCursor(position: string): string {
  return Buffer.from(`event:${position}`).toString('base64url');
}

/** The position after which to read; anything that is not a cursor this service made is 400. */
export function decodeEventCursor(text: string, field = 'after'): string {
  const match = /^event:(\d{1,19})$/.exec(Buffer.from(text, 'base64url').toString('utf8'));
  if (match && BigInt(match[1]) <= BigInt('9223372036854775807')) return match[1];
  throw new ValidationFailedError([
    { field, message: `${field} is not a cursor this API returned` },
  ]);
}
