/**
 * What a newest-first page reads: at most `limit` rows strictly older than the cursor's
 * (createdAt, id), or the newest when there is no cursor. `pageWindow` (src/http/pages.ts) makes
 * it from a list's query.
 */
export interface PageWindow {
  limit: number;
  afterCreatedAt: Date | null;
  afterId: string | null;
}

/**
 * The end of a list's statement over table (or alias) `t`, which has `created_at` and `id`: the
 * rows a PageWindow names, newest first. Served by an index on (user_id, created_at), which every
 * listed table has; the id only breaks ties within one millisecond. A cursor holds its instant to
 * the millisecond, as a JS Date does: every listed row's created_at is written from one, so the
 * cursor names it exactly. A row stamped by SQL's now() (microseconds) would be skipped or
 * repeated at a page's end.
 */
export const pageAfterCursor = (t: string) => `
      AND (:afterCreatedAt::timestamptz IS NULL
           OR (${t}.created_at, ${t}.id) < (:afterCreatedAt::timestamptz, :afterId::uuid))
    ORDER BY ${t}.created_at DESC, ${t}.id DESC
    LIMIT :limit`;
