import { Client } from 'pg';

/** The server's current WAL position, to measure what a piece of work writes from it. */
export const walPosition = async (db: Client) =>
  (await db.query<{ lsn: string }>('SELECT pg_current_wal_lsn() AS lsn')).rows[0].lsn;

/** WAL bytes written since `from` (by the whole server). */
export const walSince = async (db: Client, from: string) =>
  Number(
    (await db.query<{ n: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1) AS n', [from]))
      .rows[0].n,
  );

/** At most this many segments are made: a server tuned to a large `max_wal_size` is spared GBs. */
const MOST_SEGMENTS = 128;

/**
 * Has the server create its WAL segments before anything is measured. A cluster that has not yet
 * written about `max_wal_size` of WAL (a new embedded one, or a new machine's) creates a 16 MB
 * segment, zero-filled and synced, each time the last fills: under the bench's creates every second
 * or so, and every commit waits behind it (12-22 ms). Which pass those stalls fall in then sets its
 * p99 at 50 connections. A cluster in steady state, as in production, recycles the segments a
 * checkpoint frees instead. So: one segment switch per segment of `max_wal_size`, then a
 * checkpoint, which keeps the switched segments as the next ones to write (bench/README.md, "WAL
 * segments made before the run").
 */
export async function prepareWalSegments(url: string): Promise<void> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    // Both need a superuser (or pg_checkpoint and pg_switch_wal granted): asked before any write.
    await db.query('CHECKPOINT');
    await db.query('SELECT pg_switch_wal()');
    const { rows } = await db.query<{ segments: string }>(
      `SELECT pg_size_bytes(current_setting('max_wal_size'))
                / pg_size_bytes(current_setting('wal_segment_size')) AS segments`,
    );
    await db.query('CREATE TABLE bench_wal_switch (written int)');
    for (let i = 0; i < Math.min(Number(rows[0].segments), MOST_SEGMENTS); i++) {
      // A switch moves to a new segment only after some WAL was written since the last one.
      await db.query('INSERT INTO bench_wal_switch VALUES ($1)', [i]);
      await db.query('SELECT pg_switch_wal()');
    }
    await db.query('CHECKPOINT');
  } catch (error) {
    console.warn(`WAL segments not prepared: ${(error as Error).message}`);
  } finally {
    await db.query('DROP TABLE IF EXISTS bench_wal_switch').catch(() => undefined);
    await db.end();
  }
}
