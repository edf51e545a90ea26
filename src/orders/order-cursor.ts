import { isUuid } from '../database/uuid';
import { ValidationFailedError } from '../http/problem';

/** Where a newest-first page ended: the (createdAt, id) of its last order. */
export interface OrderCursor {
  createdAt: Date;
  id: string;
}

export function encodeCursor({ createdAt, id }: OrderCursor): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');
}

/** Opaque to clients; anything that is not a cursor this service made answers 400. */
export function decodeCursor(text: string): OrderCursor {
  try {
    const [createdAt, id] = JSON.parse(
      Buffer.from(text, 'base64url').toString('utf8'),
    ) as unknown[];
    const date = new Date(String(createdAt));
    if (
      typeof id === 'string' &&
      isUuid(id) &&
      !Number.isNaN(date.getTime()) &&
      date.toISOString() === createdAt &&
      isPlausible(date)
    ) {
      return { createdAt: date, id };
    }
  } catch {
    // fall through: not base64url JSON
  }
  throw new ValidationFailedError([
    { field: 'cursor', message: 'cursor is not a value this API returned' },
  ]);
}

/** An instant an order can have: PostgreSQL's timestamps stop short of JavaScript's range. */
function isPlausible(date: Date): boolean {
  const year = date.getUTCFullYear();
  return year >= 1970 && year <= 9999;
}
