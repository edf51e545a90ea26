import type { Client } from 'pg';

/** The server's current WAL position, to measure what a piece of work writes from it. */
export const walPosition = async (db: Client) =>
  (await db.query<{ lsn: string }>('SELECT pg_current_wal_lsn() AS lsn')).rows[0].lsn;

/** WAL bytes written since `from` (by the whole server). */
export const walSince = async (db: Client, from: string) =>
  Number(
    (await db.query<{ n: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1) AS n', [from]))
      .rows[0].n,
  );
