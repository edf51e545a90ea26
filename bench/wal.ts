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

/**
 * Has the server create its WAL segments before anything is measured. A cluster that has not yet
 * written about `max_wal_size` of WAL (a new embedded one, or a new machine's) creates a 16 MB
 * segment, zero-filled and synced, each time the last fills: under the bench's creates every second
 * or so, and every commit waits behind it (10-20 ms). Which pass those stalls fall in then sets its
 * p99 at 50 connections. A cluster in steady state, as in production, recycles the segments a
 * checkpoint frees instead. So: one segment switch per segment of `max_wal_size`, then two
 * checkpoints, after which the switched segments are kept as the next ones to write
 * (bench/README.md, "WAL segments made before the run").
 */
export async function prepareWalSegments(url: string): Promise<void> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    const { rows } = await db.query<{ segments: number }>(
      `SELECT (SELECT setting::bigint FROM pg_settings WHERE name = 'max_wal_size') * 1024 * 1024
                / (SELECT setting::bigint FROM pg_settings WHERE name = 'wal_segment_size')
                AS segments`,
    );
    await db.query('CREATE TABLE bench_wal_switch (written int)');
    for (let i = 0; i < Number(rows[0].segments); i++) {
      // A switch moves to a new segment only after some WAL was written since the last one.
      await db.query('INSERT INTO bench_wal_switch VALUES ($1)', [i]);
      await db.query('SELECT pg_switch_wal()');
    }
    await db.query('DROP TABLE bench_wal_switch');
    await db.query('CHECKPOINT');
    await db.query('CHECKPOINT');
  } catch (error) {
    // Not allowed (neither a superuser nor granted the functions): the run goes on without it.
    console.warn(`WAL segments not prepared: ${(error as Error).message}`);
  } finally {
    await db.end();
  }
}
