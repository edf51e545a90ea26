import 'reflect-metadata';
import { startTally } from './conformance/tally';
import { natsForRun, OwnNatsServer } from './nats';
import { PgBouncer } from './pgbouncer';
import { createDatabaseOn, migrate, startTemporaryEmbedded, TestDatabase } from './test-database';

declare global {
  var testDatabase: TestDatabase | undefined;
  var testNats: OwnNatsServer | null | undefined;
  var testPgBouncer: PgBouncer | undefined;
}

/**
 * One PostgreSQL for the whole e2e run: a fresh database on DATABASE_URL's server when it is set,
 * otherwise a temporary embedded server. Migrations are applied once here; test files share the
 * database and keep apart by using their own users. Workers find it in E2E_DATABASE_URL. NATS:
 * the machine's, or one of the run's own when none answers (see `runNatsUrl`).
 */
export default async function globalSetup() {
  const database = process.env.DATABASE_URL
    ? await createDatabaseOn(process.env.DATABASE_URL)
    : await startTemporaryEmbedded();
  await migrate(database.url);
  process.env.E2E_DATABASE_URL = database.url;
  if (process.env.E2E_THROUGH_PGBOUNCER) await throughPgBouncer(database.url);
  globalThis.testDatabase = database;
  globalThis.testNats = await natsForRun();
  startTally();
}

/**
 * E2E_THROUGH_PGBOUNCER set: the services under test reach the run's database through a PgBouncer
 * in transaction pooling mode (and directly, as DATABASE_DIRECT_URL, for what needs a session).
 */
async function throughPgBouncer(databaseUrl: string) {
  if (!process.env.DATABASE_URL) throw new Error('E2E_THROUGH_PGBOUNCER needs DATABASE_URL');
  const bouncer = await PgBouncer.start(process.env.DATABASE_URL);
  bouncer.announce();
  process.env.E2E_DATABASE_URL = bouncer.pooled(databaseUrl);
  globalThis.testPgBouncer = bouncer;
}
