import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `probe` until it returns something other than undefined, null or false, and resolves to
 * that; rejects, naming `what`, when `ms` pass first. The way tests wait for another party: on a
 * condition they can observe, never for a fixed time in the hope that it has happened.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  { ms = 10_000, every = 50 }: { ms?: number; every?: number } = {},
): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() - started >= ms) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(every);
  }
}
