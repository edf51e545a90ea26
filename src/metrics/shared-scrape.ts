/**
 * One read per scrape for several gauges: the first gauge to collect starts it, the others share
 * it, and the next scrape reads anew. A read that fails (the database is down) gives `unknown`
 * (NaN values: not known now) rather than failing the scrape, which would lose every other metric,
 * the 503s counted while it is down among them.
 */
export function sharedScrape<T>(read: () => Promise<T>, unknown: T): () => Promise<T> {
  let scrape: Promise<T> | null = null;
  return () =>
    (scrape ??= read()
      .catch(() => unknown)
      .finally(() => setImmediate(() => (scrape = null))));
}
