import { ValidationFailedError } from '../http/problem';
import { decodeCursor, encodeCursor } from './order-cursor';

describe('order cursors', () => {
  it('round-trips the position of the last order', () => {
    const cursor = {
      createdAt: new Date('2026-11-21T10:00:00.123Z'),
      id: '01a1ffd8-6095-751a-b179-89df840ac6b5',
    };
    const text = encodeCursor(cursor);
    expect(text).toMatch(/^[\w-]+$/);
    expect(decodeCursor(text)).toEqual(cursor);
  });

  it.each([
    '',
    'not base64 !',
    Buffer.from('{}').toString('base64url'),
    Buffer.from('["yesterday","x"]').toString('base64url'),
    Buffer.from('["2026-11-21T10:00:00.123Z","not-a-uuid"]').toString('base64url'),
  ])('answers 400 for %j', (text) => {
    expect(() => decodeCursor(text)).toThrow(ValidationFailedError);
  });
});
