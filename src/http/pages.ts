import type { FastifyReply } from 'fastify';
import type { PageWindow } from '../database/page-window';
import { isUuid } from '../database/uuid';
import type { PageQuery } from './dto/page.query';
import { ValidationFailedError } from './problem';
import type { ResourceUrls } from './resource-urls';
import type { JsonBody } from './responses';

/**
 * Where a newest-first page ended: the (createdAt, id) of its last item. Every list orders by
 * both, so items created in the same millisecond still come in one order, each exactly once.
 */
export interface PageCursor {
  createdAt: Date;
  id: string;
}

/** A page of a list, newest first, as every list answers it. */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export function encodeCursor({ createdAt, id }: PageCursor): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');
}

/** Opaque to clients; anything that is not a cursor this service made answers 400. */
export function decodeCursor(text: string): PageCursor {
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

/** An instant an item can have: PostgreSQL's timestamps stop short of JavaScript's range. */
function isPlausible(date: Date): boolean {
  const year = date.getUTCFullYear();
  return year >= 1970 && year <= 9999;
}

/**
 * What to read for the page `query` asks for: one more item than the page holds, which tells
 * whether an older page exists without a count query.
 */
export function pageWindow({ limit, cursor }: PageQuery): PageWindow {
  const after = cursor === undefined ? null : decodeCursor(cursor);
  return { limit: limit + 1, afterCreatedAt: after?.createdAt ?? null, afterId: after?.id ?? null };
}

/** Where a listed item stands in its list: what a cursor after it holds. */
interface Listed {
  id: string;
  createdAt: string;
}

/** The page of `limit` items among `rows` (read through `pageWindow`), with the next one's cursor. */
export function pageOf<T extends Listed>(rows: T[], limit: number): Page<T> {
  return { data: rows.slice(0, limit), nextCursor: nextCursorOf(rows, limit) };
}

/** An item as the JSON text PostgreSQL rendered, with its place in the list. */
export interface RenderedItem<T> extends Listed {
  json: JsonBody<T>;
}

/** A page sent as the JSON text its items were rendered in; `nextCursor` is for `Link`. */
export interface RenderedPage<T> {
  body: JsonBody<Page<T>>;
  nextCursor: string | null;
}

/** pageOf of items already rendered: the page's JSON is theirs, joined, never parsed. */
export function renderedPageOf<T>(rows: RenderedItem<T>[], limit: number): RenderedPage<T> {
  const data = rows.slice(0, limit).map((row) => row.json);
  const nextCursor = nextCursorOf(rows, limit);
  return {
    body: `{"data":[${data.join(',')}],"nextCursor":${JSON.stringify(nextCursor)}}`,
    nextCursor,
  };
}

/** The cursor after the page's last item when `rows` holds more than the page; else null. */
function nextCursorOf(rows: Listed[], limit: number): string | null {
  if (rows.length <= limit) return null;
  const last = rows[limit - 1];
  return encodeCursor({ createdAt: new Date(last.createdAt), id: last.id });
}

/**
 * A page's headers: never served from a cache without asking (the list changes with every
 * create), and `Link` to the next page: the same query (its size, its filters) from the cursor
 * `nextCursor` names.
 */
export function linkNextPage<P extends { nextCursor: string | null }>(
  reply: FastifyReply,
  urls: ResourceUrls,
  path: string,
  query: PageQuery,
  page: P,
): P {
  void reply.header('Cache-Control', 'private, no-cache');
  if (page.nextCursor) {
    const next = new URLSearchParams();
    for (const [name, value] of Object.entries(query))
      if (value !== undefined && name !== 'cursor') next.set(name, String(value));
    next.set('cursor', page.nextCursor);
    void reply.header('Link', `<${urls.to(`${path}?${next.toString()}`)}>; rel="next"`);
  }
  return page;
}
