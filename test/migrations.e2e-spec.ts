import { Client } from 'pg';
import type { QueryRunner } from 'typeorm';
import { AddEventRelayProgress1795400001000 } from '../migrations/1795400001000-AddEventRelayProgress';
import { DropEventsUnpublishedIndex1795400001100 } from '../migrations/1795400001100-DropEventsUnpublishedIndex';
import { CLIENT_QUERY_TIMEOUT_MS, SESSION_SETTINGS } from '../src/database/data-source';
import { LockKeys } from '../src/database/advisory-locks';
import { openDatabase } from '../src/database/open-database';
import { ENTITIES } from '../src/entities';
import { directUrlFor } from './support/pgbouncer';
import {
  connectToMigratedDatabase,
  createDatabaseOn,
  MigratedDatabase,
  migrate,
  TestDatabase,
} from './support/test-database';
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
    await holder.query('SELECT pg_advisory_lock($1)', [LockKeys.migrations]);
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
    await holder.query('SELECT pg_advisory_unlock($1)', [LockKeys.migrations]);
    expect(await migrated).toBe('migrated');
    const { rows } = await holder.query("SELECT to_regclass('public.orders') IS NOT NULL AS made");
    expect(rows[0].made).toBe(true);
  }, 60_000);
});

describe('the migration to NFC emails', () => {
  let database: MigratedDatabase;
  let db: Client;
  beforeAll(async () => {
    database = await connectToMigratedDatabase();
    db = database.db;
  });
  afterAll(() => database?.stop());

  let minutes = 0;
  /** A user row as the release before wrote it, each a minute younger than the one before. */
  const insertUser = async (emailNormalized: string) => {
    minutes += 1;
    const { rows } = await db.query(
      `INSERT INTO users (id, email, email_normalized, name, password_hash, created_at, updated_at)
       VALUES (gen_random_uuid(), $1, $1, 'Before', 'none', $2, $2) RETURNING id`,
      [emailNormalized, new Date(Date.UTC(2026, 0, 1, 0, minutes))],
    );
    return rows[0].id as string;
  };

  it('brings rows written before to NFC where that form is free, the oldest first, and leaves a twin of another as it was', async () => {
    // As the release before left them: the migration not yet run, emails in the form they came in.
    await db.query(`DELETE FROM migrations WHERE name = 'NormalizeEmailsToNfc1795400000800'`);
    await db.query('DROP TRIGGER IF EXISTS users_email_normalized_nfc ON users');
    await db.query('DROP FUNCTION IF EXISTS users_email_normalized_nfc()');
    const alone = await insertUser('ünï@exämple.com'.normalize('NFD'));
    const held = await insertUser('zoë@example.com'.normalize('NFC'));
    const twin = await insertUser('zoë@example.com'.normalize('NFD'));
    // ệ as ê then a dot below (no normal form) and as e, dot below, circumflex (NFD): both come
    // to the same NFC, which the older gets.
    const older = await insertUser('thê\u0323@example.com');
    const younger = await insertUser('the\u0323\u0302@example.com');
    const plain = await insertUser('plain@example.com');

    await migrate(database.url);

    const { rows } = await db.query<{ id: string; email_normalized: string }>(
      'SELECT id, email_normalized FROM users',
    );
    const after = new Map(rows.map((row) => [row.id, row.email_normalized]));
    expect(after.get(alone)).toBe('ünï@exämple.com'.normalize('NFC'));
    expect(after.get(held)).toBe('zoë@example.com'.normalize('NFC'));
    expect(after.get(twin)).toBe('zoë@example.com'.normalize('NFD'));
    expect(after.get(older)).toBe('thệ@example.com'.normalize('NFC'));
    expect(after.get(younger)).toBe('the\u0323\u0302@example.com');
    expect(after.get(plain)).toBe('plain@example.com');
    const ran = await db.query(
      `SELECT 1 FROM migrations WHERE name = 'NormalizeEmailsToNfc1795400000800'`,
    );
    expect(ran.rowCount).toBe(1);
  });

  it('normalizes what a replica of the release before writes once it has run: NFC, or a duplicate', async () => {
    const id = await insertUser('björk@example.com'.normalize('NFD'));
    const { rows } = await db.query('SELECT email_normalized FROM users WHERE id = $1', [id]);
    expect(rows[0].email_normalized).toBe('björk@example.com'.normalize('NFC'));
    await expect(insertUser('BJÖRK@example.com'.toLowerCase().normalize('NFD'))).rejects.toThrow(
      /users_email_normalized_key/,
    );
  });
});

/** A migrated database of the describe's own, handed to `connected` before its tests. */
function ownMigratedDatabase(connected: (database: MigratedDatabase) => void) {
  let database: MigratedDatabase | undefined;
  beforeAll(async () => {
    database = await connectToMigratedDatabase();
    connected(database);
  });
  afterAll(() => database?.stop());
}

/**
 * A new user's events: positions 1 to `numbered` (the last position given, as the sequencer
 * counts), the first `marked` of them with `published_at`, and `unnumbered` without a position.
 */
async function insertEvents(
  db: Client,
  { numbered, marked, unnumbered }: { numbered: number; marked: number; unnumbered: number },
) {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO users (id, email, email_normalized, name, password_hash, created_at, updated_at)
     VALUES (gen_random_uuid(), 'relay@example.com', 'relay@example.com', 'Relay', 'none', now(), now())
     RETURNING id`,
  );
  await db.query(
    `INSERT INTO events (id, user_id, type, subject, time, data, position, published_at)
     SELECT gen_random_uuid(), $1::uuid, 'order.created', gen_random_uuid(), now(), '{}'::json,
            CASE WHEN n <= $2 THEN n END, CASE WHEN n <= $3 THEN now() END
       FROM generate_series(1, $2::integer + $4::integer) n`,
    [rows[0].id, numbered, marked, unnumbered],
  );
  await db.query('UPDATE event_positions SET last = greatest(last, $1)', [numbered]);
}

/** The positions of the events marked published (`published_at`), in order. */
const markedPublished = async (db: Client) =>
  (
    await db.query<{ position: string }>(
      'SELECT position FROM events WHERE published_at IS NOT NULL ORDER BY position',
    )
  ).rows.map((row) => Number(row.position));

/** A migration's QueryRunner on a test's own connection: its statements, their rows. */
const runnerOn = (db: () => Client) =>
  ({
    query: async (sql: string, values?: unknown[]) => (await db().query(sql, values)).rows,
  }) as unknown as QueryRunner;

describe("the relay's progress (AddEventRelayProgress)", () => {
  let db: Client;
  ownMigratedDatabase((own) => (db = own.db));

  /** The migration's own statements, run on this test's connection. */
  const migration = new AddEventRelayProgress1795400001000();
  const runner = runnerOn(() => db);
  const published = () => markedPublished(db);

  /** The progress the migration seeds, run again from the schema before it. */
  const seeded = async () => {
    await migration.down(runner);
    await migration.up(runner);
    const { rows } = await db.query('SELECT published_through FROM event_relay_progress');
    return rows.map((row) => row.published_through);
  };

  it('starts before the first event left unpublished, or at the last position given; its down migration marks what the progress passed', async () => {
    expect(await seeded()).toEqual(['0']); // no event at all
    // As the release before's relay left them: the first two published, the next two waiting,
    // and one written by an older release, not numbered yet.
    await insertEvents(db, { numbered: 4, marked: 2, unnumbered: 1 });
    expect(await seeded()).toEqual(['2']);

    // This release's relay published the third, then the fourth, moving only the progress.
    await db.query('UPDATE event_relay_progress SET published_through = 3');
    expect(await seeded()).toEqual(['3']);
    expect(await published()).toEqual([1, 2, 3]);
    await db.query('UPDATE event_relay_progress SET published_through = 4');
    expect(await seeded()).toEqual(['4']); // none waiting: at the last position given
    expect(await published()).toEqual([1, 2, 3, 4]);
    await db.query('DELETE FROM events');
    expect(await seeded()).toEqual(['4']); // all gone (retention): still the last position given
  });
});

describe("the relay's progress, release 2 (DropEventsUnpublishedIndex)", () => {
  let db: Client;
  let url: string;
  ownMigratedDatabase((own) => ({ db, url } = own));

  const migration = new DropEventsUnpublishedIndex1795400001100();
  const runner = runnerOn(() => db);
  /** Whether the partial index is there, and valid (a failed CONCURRENTLY build leaves it not). */
  const index = async () =>
    (
      await db.query(
        `SELECT i.indisvalid AS valid FROM pg_index i
          WHERE i.indexrelid = to_regclass('events_unpublished_idx')`,
      )
    ).rows;
  const progress = async () =>
    (await db.query('SELECT published_through FROM event_relay_progress')).rows[0]
      .published_through;
  const marked = () => markedPublished(db);

  it('passes what a relay of the release before published, drops the index; its down migration marks what the progress passed and builds it again', async () => {
    expect(await index()).toEqual([]);
    await migration.down(runner);
    expect(await index()).toEqual([{ valid: true }]);
    // Release 1's progress at the first; the release before's relay published the next two.
    await insertEvents(db, { numbered: 5, marked: 3, unnumbered: 0 });
    await db.query('UPDATE event_relay_progress SET published_through = 1');

    await migration.up(runner);
    expect(await progress()).toBe('3');
    expect(await index()).toEqual([]);

    // Release 2 published the fourth (no mark); back to release 1, then forward again.
    await db.query('UPDATE event_relay_progress SET published_through = 4');
    await migration.down(runner);
    expect(await marked()).toEqual([1, 2, 3, 4]);
    expect(await index()).toEqual([{ valid: true }]);
    await migration.up(runner);
    expect(await progress()).toBe('4');
    expect(await index()).toEqual([]);
  });

  it('is undone by npm run migration:revert: outside a transaction, on a pool of its own', async () => {
    const database = await openDatabase(
      {
        databaseUrl: directUrlFor(url) ?? url,
        databasePoolSize: 1,
        dataDir: '',
        databaseConnectTimeoutMs: 5_000,
      },
      ENTITIES,
      () => undefined,
    );
    try {
      await database.revertLastMigration();
    } finally {
      await database.close();
    }
    const { rows } = await db.query('SELECT name FROM migrations ORDER BY id DESC LIMIT 1');
    expect(rows).toEqual([{ name: 'AddEventRelayProgress1795400001000' }]);
    expect(await index()).toEqual([{ valid: true }]);
    expect((await db.query("SELECT to_regclass('event_relay_checkpoints') AS t")).rows).toEqual([
      { t: null },
    ]);
    await migrate(url); // forward again
    expect(await index()).toEqual([]);
  });
});
