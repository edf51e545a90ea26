import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { waitFor } from './wait';

/**
 * Makes a sign-up slow on purpose, the test-only way: an open transaction inserts a user with
 * the same email, so the service's insert waits on that uncommitted unique-index entry (after it
 * has claimed its idempotency key) until `release` rolls it back.
 */
export async function holdEmail(databaseUrl: string, email: string) {
  const client = new Client({ connectionString: databaseUrl, application_name: 'e2e-blocker' });
  await client.connect();
  await client.query('BEGIN');
  await client.query(
    `INSERT INTO users (id, email, email_normalized, name, password_hash, created_at, updated_at)
     VALUES ($1, $2, $3, 'Blocker', 'none', now(), now())`,
    [randomUUID(), email, email.toLowerCase()],
  );
  let released = false;
  return {
    client,
    /** Rolls the blocking insert back; safe to call more than once. */
    release: async () => {
      if (released) return;
      released = true;
      await client.query('ROLLBACK');
      await client.end();
    },
  };
}

/**
 * Waits until at least `count` service backends of this database wait on a lock (as
 * pg_stat_activity shows them); resolves to their pids.
 */
export function blockedServiceBackends(client: Client, count: number, ms = 10_000) {
  return waitFor(
    `${count} service request(s) blocked on a lock`,
    async () => {
      const { rows } = await client.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'order-service' AND wait_event_type = 'Lock'`,
      );
      return rows.length >= count && rows.map((row) => row.pid);
    },
    { ms },
  );
}

/** Waits until a service backend of this database is waiting on a lock; resolves to its pid. */
export async function blockedServiceBackend(client: Client, ms = 10_000): Promise<number> {
  return (await blockedServiceBackends(client, 1, ms))[0];
}

/** Waits until the backend `pid` has gone from pg_stat_activity: its session has ended. */
export function sessionEnded(client: Client, pid: number, ms = 10_000) {
  return waitFor(
    `the session of backend ${pid} to end`,
    async () => {
      const { rowCount } = await client.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [
        pid,
      ]);
      return rowCount === 0;
    },
    { ms },
  );
}
