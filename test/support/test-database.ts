import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { EmbeddedDatabase, startEmbeddedPostgres } from '../../src/database/embedded-postgres';
import { openDatabase } from '../../src/database/open-database';
import { ENTITIES } from '../../src/entities';
import { directUrlFor } from './pgbouncer';

export interface TestDatabase {
  url: string;
  stop(): Promise<void>;
}

/** A fresh database on the server DATABASE_URL names; dropped again by stop(). */
export async function createDatabaseOn(serverUrl: string): Promise<TestDatabase> {
  const name = `order_service_test_${randomBytes(4).toString('hex')}`;
  await adminQuery(serverUrl, `CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    stop: () => adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/** A throw-away embedded PostgreSQL in a temporary folder (the default, with no server installed). */
export async function startTemporaryEmbedded(): Promise<
  TestDatabase & { server: EmbeddedDatabase; dataDir: string }
> {
  const dataDir = traversableTempDir('order-service-test-');
  const database = {
    server: await startEmbeddedPostgres(dataDir, () => undefined),
    dataDir,
    get url() {
      return database.server.url;
    },
    stop: async () => {
      await database.server.stop(); // the server in use now: a test may have restarted it
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return database;
}

/** Applies every migration to the database at `url`, as the service does at start. */
export async function migrate(url: string): Promise<void> {
  const migrated = await openDatabase(
    {
      databaseUrl: url,
      databaseDirectUrl: directUrlFor(url),
      databasePoolSize: 2,
      dataDir: '',
      databaseConnectTimeoutMs: 5_000,
    },
    ENTITIES,
    () => undefined,
  );
  await migrated.close();
}

/** A migrated database of its own and a direct connection to it; stop() closes and drops both. */
export interface MigratedDatabase extends TestDatabase {
  db: Client;
}

/** A fresh database on the e2e server (E2E_DATABASE_URL), migrated, and a direct connection. */
export async function connectToMigratedDatabase(): Promise<MigratedDatabase> {
  const database = await createDatabaseOn(process.env.E2E_DATABASE_URL!);
  try {
    await migrate(database.url);
    const db = new Client({ connectionString: directUrlFor(database.url) ?? database.url });
    await db.connect();
    const stop = async () => {
      try {
        await db.end();
      } finally {
        await database.stop();
      }
    };
    return { url: database.url, db, stop };
  } catch (error) {
    await database.stop();
    throw error;
  }
}

async function adminQuery(serverUrl: string, sql: string) {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** mkdtemp makes 0700 folders, which the `postgres` user could not enter when tests run as root. */
export function traversableTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}
