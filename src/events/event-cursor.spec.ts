import { randomBytes } from 'node:crypto';
import type { DomainError } from '../http/problem';
import { EventCursors } from './event-cursor';

const key = randomBytes(32);
const cursors = new EventCursors(key);

/** What decoding `text` throws (a DomainError: its status and detail), or null. */
const refusalOf = (text: string, field?: string) => {
  try {
    cursors.decode(text, field);
    return null;
  } catch (error) {
    return error as DomainError;
  }
};
const statusOf = (text: string) => refusalOf(text)?.status ?? 200;

describe('EventCursors', () => {
  it.each(['0', '1', '41', '9223372036854775807'])('gives back the position %s', (position) => {
    expect(cursors.decode(cursors.encode(position))).toBe(position);
  });

  it('makes one cursor per position, 22 characters that do not spell it', () => {
    const cursor = cursors.encode('123456');
    expect(cursors.encode('123456')).toBe(cursor);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(cursor, 'base64url').toString('latin1')).not.toContain('123456');
    expect(cursors.encode('123457')).not.toBe(cursor);
  });

  it('refuses (400) text spelled otherwise than a cursor, and a position past the largest', () => {
    const cursor = cursors.encode('77');
    for (const text of [cursors.encode(2n ** 63n), `${cursor}=`, `${cursor}A`, '', 'nope'])
      expect(statusOf(text)).toBe(400);
  });

  it('answers a cursor made under another key, or altered, as expired (410): the client resyncs', () => {
    const cursor = cursors.encode('77');
    const altered = `${cursor[0] === 'A' ? 'B' : 'A'}${cursor.slice(1)}`;
    for (const text of [new EventCursors(randomBytes(32)).encode('77'), altered])
      expect(refusalOf(text, 'after')).toMatchObject({
        status: 410,
        code: 'cursor_expired',
        detail:
          "The cursor in after was not made with this service's current key (JWT_SECRET changed), or was altered: read the current state again, then follow the events without a cursor.",
      });
  });

  it('answers a cursor of the earlier, readable form as expired (410): the client resyncs', () => {
    const readable = Buffer.from('event:41').toString('base64url');
    expect(statusOf(readable)).toBe(410);
    expect(refusalOf(readable, 'Last-Event-ID')).toMatchObject({
      code: 'cursor_expired',
      detail:
        'The cursor in Last-Event-ID is of an earlier form, which this API no longer reads: read the current state again, then follow the events without a cursor.',
    });
  });

  describe('handed out readable (EVENT_CURSORS=readable, for the rollout from the earlier form)', () => {
    const rolling = new EventCursors(key, 'readable');

    it('hands out the earlier form, and reads it and the encrypted one alike', () => {
      const readable = rolling.encode('41');
      expect(readable).toBe(Buffer.from('event:41').toString('base64url'));
      expect(rolling.decode(readable)).toBe('41');
      expect(rolling.decode(cursors.encode('41'))).toBe('41');
    });

    it('refuses (400) a readable cursor in a spelling never handed out', () => {
      for (const text of ['event:041', 'event:9223372036854775808'])
        expect(() => rolling.decode(Buffer.from(text).toString('base64url'))).toThrow(
          'The request is not valid',
        );
    });
  });
});
