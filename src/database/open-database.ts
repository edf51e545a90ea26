import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource, MigrationExecutor } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { LockKeys } from './advisory-locks';
import { isDatabaseUnavailable } from './database-errors';
import { migrateJobSchema } from '../jobs/job-schema';
import { createDataSource, poolOf, roleDefaultsStatement, type EntityList } from './data-source';
import { EmbeddedDatabase, startEmbeddedPostgres } from './embedded-postgres';

export interface OpenDatabase {
  dataSource: DataSource;
  /** Closes the pool, then stops the embedded server if this process started one. */
  close(): Promise<void>;
  /** Undoes the last migration applied (`npm run migration:revert`), on a migration pool. */
  revertLastMigration(): Promise<void>;
}

/** Thrown when the database cannot be reached at start-up; the message is one line. */
export class DatabaseStartupError extends Error {}

type DatabaseConfig = Pick<
  AppConfig,
  'databaseUrl' | 'databasePoolSize' | 'dataDir' | 'databaseConnectTimeoutMs'
> &
  Partial<Pick<AppConfig, 'databaseDirectUrl'>>;

/**
 * Connects to DATABASE_URL, or starts the embedded server under DATA_DIR, and applies pending
 * migrations. Retries for a bounded time so a database that is still booting (compose) is awaited.
 */
export async function openDatabase(
  config: DatabaseConfig,
  entities: EntityList,
  log: (line: string) => void,
): Promise<OpenDatabase> {
  const embedded = config.databaseUrl ? null : await startEmbeddedPostgres(config.dataDir, log);
  const url = config.databaseUrl ?? embedded!.url;
  const sessionUrl = config.databaseDirectUrl ?? null;
  const dataSource = createDataSource({
    url,
    entities,
    poolSize: config.databasePoolSize,
    sessionUrl,
  });
  try {
    // Behind a pooler the role's defaults come with the migrations, before the pool connects: a
    // server connection the pooler opened before them would keep serving without them (a crashed
    // client's lock wait unnoticed).
    const applied = await migrateOnOwnPool(
      sessionUrl ?? url,
      entities,
      config.databaseConnectTimeoutMs,
      sessionUrl ? roleDefaultsStatement() : undefined,
    );
    await connectWithin(dataSource, config.databaseConnectTimeoutMs, url);
    if (applied.length > 0) log(`applied migrations: ${applied.join(', ')}`);
  } catch (error) {
    await stopQuietly(dataSource, embedded);
    throw error;
  }
  return {
    dataSource,
    close: () => stopQuietly(dataSource, embedded),
    revertLastMigration: () =>
      revertOnOwnPool(sessionUrl ?? url, entities, config.databaseConnectTimeoutMs),
  };
}

async function connectWithin(dataSource: DataSource, timeoutMs: number, url: string) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await dataSource.initialize();
      return;
    } catch (error) {
      const retryable = isDatabaseUnavailable(error) && Date.now() < deadline;
      if (retryable) {
        await sleep(500);
        continue;
      }
      // Driver errors (refused, bad password, no such database) carry a code; mapping bugs do not.
      if (!(error as { code?: unknown }).code) throw error;
      throw new DatabaseStartupError(
        `cannot connect to PostgreSQL at ${describe(url)}: ${reason(error)}`,
      );
    }
  }
}

/**
 * Replicas starting together must not run the same migration twice: the first takes a session
 * advisory lock, the others wait for it and then find nothing left to apply. The job queue's
 * schema (graphile-worker's own migrations) and `alsoUnderLock` come after ours, under the same
 * lock. `dataSource` is a migration pool (`migrating`: no timeouts), used for nothing else.
 */
async function migrateUnderLock(dataSource: DataSource, alsoUnderLock?: string): Promise<string[]> {
  const session = dataSource.createQueryRunner();
  try {
    await session.query('SELECT pg_advisory_lock($1)', [LockKeys.migrations]);
    const migrations = new MigrationExecutor(dataSource, session);
    migrations.transaction = 'each';
    const applied = await migrations.executePendingMigrations();
    await migrateJobSchema(poolOf(dataSource)!);
    if (alsoUnderLock) await session.query(alsoUnderLock);
    return applied.map((migration) => migration.name);
  } finally {
    // Should the unlock fail, the pool's end (migrateOnOwnPool) closes the session and its lock.
    await session
      .query('SELECT pg_advisory_unlock($1)', [LockKeys.migrations])
      .catch(() => undefined);
    await session.release();
  }
}

/**
 * Migrations (and their session lock) on a direct pool of their own, closed after them, so that
 * none of its sessions serves a request. Behind a transaction pooler `roleDefaults` makes the
 * session settings the role's defaults in this database, since the pooler refuses them as
 * startup parameters; under the lock, since replicas starting together would otherwise update
 * the role at once.
 */
async function migrateOnOwnPool(
  url: string,
  entities: EntityList,
  timeoutMs: number,
  roleDefaults?: string,
) {
  return onMigrationPool(url, entities, timeoutMs, 2, (direct) =>
    migrateUnderLock(direct, roleDefaults),
  );
}

/**
 * Undoes the last migration applied on a direct pool of its own without timeouts, as migrations
 * run (a down migration may build an index on a large table), outside a transaction when the
 * migration asks for none (CONCURRENTLY cannot run in one). TypeORM undoes the highest id.
 */
function revertOnOwnPool(url: string, entities: EntityList, timeoutMs: number) {
  return onMigrationPool(url, entities, timeoutMs, 1, async (direct) => {
    const [last] = await direct.query<{ name: string }[]>(
      'SELECT name FROM migrations ORDER BY id DESC LIMIT 1',
    );
    const migration = direct.migrations.find((candidate) => candidate.name === last?.name);
    await direct.undoLastMigration({
      transaction: migration?.transaction === false ? 'none' : 'each',
    });
  });
}

/** `work` on a direct pool of its own for migrations (no timeouts), closed after it. */
async function onMigrationPool<T>(
  url: string,
  entities: EntityList,
  timeoutMs: number,
  poolSize: number,
  work: (direct: DataSource) => Promise<T>,
): Promise<T> {
  const direct = createDataSource({
    url,
    entities,
    poolSize,
    applicationName: 'order-service-migrations',
    migrating: true,
  });
  try {
    await connectWithin(direct, timeoutMs, url);
    return await work(direct);
  } finally {
    await direct.destroy().catch(() => undefined);
  }
}

async function stopQuietly(dataSource: DataSource, embedded: EmbeddedDatabase | null) {
  if (dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
  await embedded?.stop();
}

function describe(url: string): string {
  const { hostname, port, pathname } = new URL(url);
  return `${hostname}:${port || 5432}${pathname}`;
}

function reason(error: unknown): string {
  const text =
    error instanceof Error ? error.message || (error as { code?: string }).code : String(error);
  return (text ?? 'unknown error').split('\n')[0];
}
