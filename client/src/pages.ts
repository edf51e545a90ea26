/** A page of a list as the service answers it. */
export interface ListPage<T> {
  data: T[];
  nextCursor: string | null;
}

/**
 * Every item of a list, newest first, page after page: each page is read once the one before has
 * been used up, so a loop that stops early (`break`) reads no page further. `read` asks for the
 * page after `cursor` (the first page: undefined).
 */
export async function* eachItem<T>(
  read: (cursor: string | undefined) => Promise<ListPage<T>>,
): AsyncGenerator<T, void, undefined> {
  let cursor: string | undefined;
  do {
    const page = await read(cursor);
    yield* page.data;
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
}
