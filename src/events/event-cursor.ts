import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { EventCursorForm } from '../config/app-config';
import { DomainError, ValidationFailedError } from '../http/problem';

/** The second half of every cursor's one block: what a cursor this service made decrypts to. */
const TAG = Buffer.from('evcursor');
const MAX_POSITION = BigInt('9223372036854775807');
/** The cursors handed out before they were encrypted: the position in the clear. */
const READABLE = /^event:\d+$/;
/** A readable cursor in the one spelling that was handed out. */
const READABLE_AS_GIVEN = /^event:(0|[1-9]\d{0,18})$/;
const unreadable = (field: string) =>
  `The cursor in ${field} is of an earlier form, which this API no longer reads`;
const otherKey = (field: string) =>
  `The cursor in ${field} was not made with this service's current key (JWT_SECRET changed), or was altered`;

/**
 * An event's place in the feed, as clients hold it (`nextCursor`, the stream's `id:`). Positions
 * count every user's events, so a readable one would tell anyone with an account how many
 * events (orders, sign-ups, uploads) the whole service has had, and between their own events how
 * many others'; the cursor is the position encrypted instead: one AES block (the position and a
 * tag), a pseudorandom permutation under the key, so it reads as noise and compares as nothing.
 * Deterministic, so one event has one cursor.
 *
 * `readable` (EVENT_CURSORS) hands out the earlier form and reads both, for the rollout from a
 * release whose pods read only that: none of them is then given a cursor it cannot read.
 */
export class EventCursors {
  /** `key`: 32 bytes, derived from the service secret (EventsModule). */
  constructor(
    private readonly key: Buffer,
    private readonly form: EventCursorForm = 'encrypted',
  ) {}

  encode(position: string | bigint): string {
    if (this.form === 'readable') return Buffer.from(`event:${position}`).toString('base64url');
    const block = Buffer.alloc(16);
    block.writeBigUInt64BE(BigInt(position));
    TAG.copy(block, 8);
    const cipher = createCipheriv('aes-256-ecb', this.key, null).setAutoPadding(false);
    return Buffer.concat([cipher.update(block), cipher.final()]).toString('base64url');
  }

  /**
   * The position after which to read. Text that is not a cursor's spelling is 400. A cursor of the
   * earlier, readable form (`event:<n>`), or one that decrypts to a wrong tag (made under an
   * earlier key, or altered), is 410 as an expired one is: a client then reads the current state
   * again and follows without a cursor, as it must after the secret changes.
   */
  decode(text: string, field = 'after'): string {
    const block = Buffer.from(text, 'base64url');
    if (block.toString('base64url') !== text) throw notACursor(field);
    const readable = block.toString('latin1');
    if (READABLE.test(readable)) return this.readableOne(readable, field);
    if (block.length !== 16) throw notACursor(field);
    const decipher = createDecipheriv('aes-256-ecb', this.key, null).setAutoPadding(false);
    const plain = Buffer.concat([decipher.update(block), decipher.final()]);
    const position = plain.readBigUInt64BE();
    if (!plain.subarray(8).equals(TAG)) throw new CursorExpiredError(field, otherKey(field));
    if (position > MAX_POSITION) throw notACursor(field);
    return String(position);
  }

  /** Read while cursors are handed out readable; once they are encrypted, expired (resync). */
  private readableOne(text: string, field: string): string {
    if (this.form !== 'readable') throw new CursorExpiredError(field, unreadable(field));
    const given = READABLE_AS_GIVEN.exec(text);
    if (!given || BigInt(given[1]) > MAX_POSITION) throw notACursor(field);
    return given[1];
  }
}

const notACursor = (field: string) =>
  new ValidationFailedError([{ field, message: `${field} is not a cursor this API returned` }]);

/** A cursor from before events the retention has deleted since: resuming from it would skip them. */
export class CursorExpiredError extends DomainError {
  constructor(
    field: string,
    why = `Events after the cursor in ${field} are past EVENTS_RETENTION and may be deleted`,
  ) {
    super(
      410,
      'cursor_expired',
      'Cursor expired',
      `${why}: read the current state again, then follow the events without a cursor.`,
    );
  }
}

/**
 * Refuses (410) a position decoded from `field` that resuming from would skip events: one below
 * the retention's horizon, or one past the last position given to any event. Only the service can
 * make the latter, so it meets one only after its database went back to before the cursor (a
 * restore): every event numbered until the counter reached it again would be skipped.
 */
export function assertResumable(
  position: string,
  { numbered, deletedThrough }: { numbered: string; deletedThrough: string },
  field: string,
) {
  if (BigInt(position) > BigInt(numbered))
    throw new CursorExpiredError(
      field,
      `The cursor in ${field} is past every event this service has numbered (its database was restored from before it)`,
    );
  if (BigInt(position) < BigInt(deletedThrough)) throw new CursorExpiredError(field);
}
