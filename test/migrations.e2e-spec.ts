import { Client } from 'pg';
import { CLIENT_QUERY_TIMEOUT_MS, SESSION_SETTINGS } from '../src/database/data-source';
import { MIGRATION_LOCK_KEY } from '../src/database/open-database';
import { directUrlFor } from './support/pgbouncer';
import { createDatabaseOn, migrate, TestDatabase } from './support/test-database';
import { waitFor } from './support/wait';

/** The longest of the request path's timeouts, the server's and the client's. */
const LONGEST_TIMEOUT_MS = Math.max(
  SESSION_SETTINGS.statement_timeout,
  SESSION_SETTINGS.lock_timeout,
  CLIENT_QUERY_TIMEOUT_MS,
);

/** A replica starting while another migrates waits for it, however long its migration takes. */
describe('migrations at start-up', () => {
  let database: TestDatabase;
  let holder: Client;
  beforeAll(async () => {
    database = await createDatabaseOn(process.env.E2E_DATABASE_URL!);
    holder = new Client({ connectionString: directUrlFor(database.url) ?? database.url });
    await holder.connect();
  });
  afterAll(async () => {
    await holder?.end();
    await database?.stop();
  });

  it("waits for another replica's migration lock past the request path's timeouts", async () => {
    await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const migrated = migrate(database.url).then(
      () => 'migrated',
      (error: Error) => `failed: ${error.message}`,
    );
    let ended: string | undefined;
    void migrated.then((result) => (ended = result));
    const waitedPastTimeouts = `
      SELECT count(*)::int AS n FROM pg_stat_activity
       WHERE datname = current_database() AND wait_event = 'advisory'
         AND now() - query_start > $1::int * interval '1 millisecond'`;
    await waitFor(
      'the starting replica waiting on the lock past every timeout',
      async () => {
        if (ended) throw new Error(`the migration ended while the lock was held: ${ended}`);
        return (await holder.query(waitedPastTimeouts, [LONGEST_TIMEOUT_MS + 1_000])).rows[0].n > 0;
      },
      { ms: LONGEST_TIMEOUT_MS + 10_000, every: 250 },
    );
    await holder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    expect(await migrated).toBe('migrated');
    const { rows } = await holder.query("SELECT to_regclass('public.orders') IS NOT NULL AS made");
    expect(rows[0].made).toBe(true);
  }, 60_000);
});
