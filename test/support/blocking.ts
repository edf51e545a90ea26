import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';

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

/** Waits until a service backend of this database is waiting on a lock; resolves to its pid. */
export async function blockedServiceBackend(client: Client, ms = 10_000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    const { rows } = await client.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity
        WHERE datname = current_database() AND application_name = 'order-service' AND wait_event_type = 'Lock'`,
    );
    if (rows.length > 0) return rows[0].pid;
    await sleep(50);
  }
  throw new Error('no service request is blocked');
}
