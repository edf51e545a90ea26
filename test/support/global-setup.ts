import 'reflect-metadata';
import { natsForRun, OwnNatsServer } from './nats';
import { createDatabaseOn, migrate, startTemporaryEmbedded, TestDatabase } from './test-database';

declare global {
  var testDatabase: TestDatabase | undefined;
  var testNats: OwnNatsServer | null | undefined;
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
  globalThis.testDatabase = database;
  globalThis.testNats = await natsForRun();
}
