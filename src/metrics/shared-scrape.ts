/**
 * One read per scrape for several gauges: the first gauge to collect starts it, the others share
 * it, and the next scrape reads anew.
 */
export function sharedScrape<T>(read: () => Promise<T>): () => Promise<T> {
  let scrape: Promise<T> | null = null;
  return () => (scrape ??= read().finally(() => setImmediate(() => (scrape = null))));
}
