import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { waitFor } from './wait';

/**
 * Makes a sign-up slow on purpose, the test-only way: an open transaction inserts a user with
 * the same email, so the service's insert waits on that uncommitted unique-index entry (after it
 * has claimed its idempotency key) until `release` rolls it back.
 */
export function holdEmail(databaseUrl: string, email: string) {
  return holdInTransaction(
    databaseUrl,
    `INSERT INTO users (id, email, email_normalized, name, password_hash, created_at, updated_at)
     VALUES ($1, $2, $3, 'Blocker', 'none', now(), now())`,
    [randomUUID(), email, email.toLowerCase()],
  );
}

/**
 * Holds a create of an order of `userId` with `reference` as its clientReference inside its
 * statement, after its key's claim, as holdEmail holds a sign-up: an open transaction has inserted
 * an order with that reference, so the create's insert waits on the uncommitted unique-index entry
 * until `release`.
 */
export function holdOrderReference(databaseUrl: string, userId: string, reference: string) {
  return holdInTransaction(
    databaseUrl,
    `INSERT INTO orders (id, user_id, status, currency, total, client_reference, note, created_at, updated_at)
     VALUES ($1, $2, 'pending', 'EUR', 0, $3, NULL, now(), now())`,
    [randomUUID(), userId, reference],
  );
}

/**
 * An open transaction on a connection of its own that has run `sql` (and holds what it locked)
 * until `release` rolls it back. `release` is safe to call more than once, and after the server
 * has gone away under the hold (its session, and the transaction with it, then ended already).
 */
export async function holdInTransaction(databaseUrl: string, sql: string, values: unknown[]) {
  const client = new Client({ connectionString: databaseUrl, application_name: 'e2e-blocker' });
  let ended = false;
  client.on('error', () => undefined); // a server stopped under the hold; `end` follows
  client.on('end', () => (ended = true));
  await client.connect();
  await client.query('BEGIN');
  await client.query(sql, values);
  let released = false;
  return {
    client,
    /** Rolls the hold back. */
    release: async () => {
      if (released) return;
      released = true;
      await client.query('ROLLBACK').catch((error: Error) => {
        if (!ended) throw error;
      });
      if (!ended) await client.end();
    },
  };
}

/**
 * Rows of pg_stat_activity as they are now. Within a transaction (a blocker's) PostgreSQL keeps
 * showing the sessions its first look found, so a poll throws that snapshot away each time.
 */
async function activity<T extends object>(client: Client, sql: string, params: unknown[] = []) {
  await client.query('SELECT pg_stat_clear_snapshot()');
  return (await client.query<T>(sql, params)).rows;
}

/**
 * Waits until at least `count` backends of this database that connected as `applicationName`
 * wait on a lock (as pg_stat_activity shows them); resolves to their pids.
 */
export function blockedBackends(
  client: Client,
  applicationName: string,
  count: number,
  ms = 10_000,
) {
  return waitFor(
    `${count} backend(s) of ${applicationName} blocked on a lock`,
    async () => {
      const rows = await activity<{ pid: number }>(
        client,
        `SELECT pid FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = $1 AND wait_event_type = 'Lock'`,
        [applicationName],
      );
      return rows.length >= count && rows.map((row) => row.pid);
    },
    { ms },
  );
}

/** Waits until at least `count` service backends of this database wait on a lock; their pids. */
export function blockedServiceBackends(client: Client, count: number, ms = 10_000) {
  return blockedBackends(client, 'order-service', count, ms);
}

/** Waits until a service backend of this database is waiting on a lock; resolves to its pid. */
export async function blockedServiceBackend(client: Client, ms = 10_000): Promise<number> {
  return (await blockedServiceBackends(client, 1, ms))[0];
}

/** Waits until the backend `pid` has gone from pg_stat_activity: its session has ended. */
export function sessionEnded(client: Client, pid: number, ms = 10_000) {
  return waitFor(
    `the session of backend ${pid} to end`,
    async () =>
      (await activity(client, 'SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).length === 0,
    { ms },
  );
}

/**
 * Sends `first` and holds it in its statement on a lock of `table` (ACCESS EXCLUSIVE, which reads
 * wait on too), then sends `rest`, which queue in the service behind it until `queued()` counts
 * them all; then releases the lock and resolves to every answer, in order. Queued requests give up
 * after the 3 s a request waits for its statement to start (POOL_WAIT_MS): this releases them as
 * soon as they are counted. A service backend waiting on the lock is `first`'s statement, or at
 * worst a sweeper's; either way one is held once all of `rest` wait.
 */
export async function answersQueuedBehindLockedTable<T>(
  databaseUrl: string,
  table: string,
  queued: () => Promise<number>,
  first: () => Promise<T>,
  rest: (() => Promise<T>)[],
): Promise<T[]> {
  const hold = await holdInTransaction(
    databaseUrl,
    `LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`,
    [],
  );
  try {
    const held = first();
    await blockedServiceBackend(hold.client);
    const sent = rest.map((send) => send());
    await waitFor(`${rest.length} requests queued behind a held one`, async () => {
      return (await queued()) === rest.length;
    });
    await hold.release();
    return await Promise.all([held, ...sent]);
  } finally {
    await hold.release();
  }
}
