import { join } from 'node:path';
import * as pg from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { ServicePool, type ServicePoolConfig } from './service-pool';

const MIGRATIONS_GLOB = join(__dirname, '..', '..', 'migrations', '*.{js,ts}');

/** The entity classes; the caller passes them (src/entities.ts) since this folder knows no feature. */
export type EntityList = NonNullable<DataSourceOptions['entities']>;

export interface DataSourceSettings {
  url: string;
  entities: EntityList;
  poolSize: number;
  applicationName?: string;
  /**
   * A direct connection to PostgreSQL, set when `url` goes through a transaction pooler: what
   * needs a session (LISTEN, the job runner, the migration lock) uses it.
   */
  sessionUrl?: string | null;
  /**
   * For migrations (a direct connection): no timeout at all, neither the server's nor the
   * client's. A migration may run for minutes (an index on a large table), and so may a
   * replica's wait for another's; the startup probe and the migrate Job's deadline bound them.
   */
  migrating?: boolean;
}

/**
 * The settings every session needs, so that failures surface fast: statement and lock waits end
 * in a 503 rather than queueing requests behind a stuck transaction; a transaction left open by a
 * hung process does not hold keys and row locks for long; and (PostgreSQL 14+) a crashed
 * replica's socket is noticed within a second, even while its query waits on a lock, so its
 * transaction (and idempotency claim) is rolled back at once. Sent as startup parameters on a
 * direct connection; a transaction pooler refuses those, so there they are the role's defaults in
 * this database (`roleDefaultsStatements`).
 */
export const SESSION_SETTINGS = {
  statement_timeout: 15_000,
  lock_timeout: 10_000,
  idle_in_transaction_session_timeout: 60_000,
  client_connection_check_interval: 1_000,
} as const;

const sessionUrls = new WeakMap<DataSource, string>();

export function createDataSource({
  url,
  entities,
  poolSize,
  applicationName,
  sessionUrl,
  migrating = false,
}: DataSourceSettings): DataSource {
  const dataSource = new DataSource({
    type: 'postgres',
    driver: { ...pg, Pool: ServicePool },
    url,
    entities,
    migrations: [MIGRATIONS_GLOB],
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false, // migrations are the only way the schema changes
    logging: false, // failures surface as errors mapped to problem+json and logged with the request id
    applicationName: applicationName ?? 'order-service',
    // A dead or restarting server must surface as a fast 503, never a request that hangs.
    connectTimeoutMS: 3_000,
    extra: migrating ? migrationSettings(poolSize) : connectionSettings(poolSize, !sessionUrl),
    // node-postgres emits `error` for idle clients whose server went away; unhandled, it kills the process.
    poolErrorHandler: () => undefined,
  });
  if (sessionUrl) sessionUrls.set(dataSource, sessionUrl);
  return dataSource;
}

/**
 * Where a session of its own goes (LISTEN, the job runner): the pool's server, or past the pooler;
 * `name` is its application_name, so that pg_stat_activity tells it from the pool's sessions.
 */
export function sessionUrlOf(dataSource: DataSource, name: string): string {
  const url = new URL(sessionUrls.get(dataSource) ?? (dataSource.options as { url: string }).url);
  url.searchParams.set('application_name', name);
  return url.toString();
}

/** True when the pool's connections go through a transaction pooler (sessions are not ours). */
export function throughPooler(dataSource: DataSource): boolean {
  return sessionUrls.has(dataSource);
}

/**
 * `SESSION_SETTINGS` as defaults of the connecting role in the current database, for the
 * connections a transaction pooler opens; a role may set its own defaults.
 */
export function roleDefaultsStatement(): string {
  const settings = Object.entries(SESSION_SETTINGS).map(
    ([name, ms]) =>
      `EXECUTE format('ALTER ROLE CURRENT_USER IN DATABASE %I SET ${name} = %L', current_database(), '${ms}ms');`,
  );
  return `DO $$ BEGIN ${settings.join(' ')} END $$`;
}

/**
 * A server that stops answering (frozen host, silent partition) must not hang requests for the
 * kernel's TCP timeout: a connection waiting this long for an answer, with no byte either way,
 * is given up, a little after statement_timeout (ServicePool).
 */
export const CLIENT_QUERY_TIMEOUT_MS = 20_000;

/** The longest a statement waits for a pooled connection before it fails (503, retry later). */
export const POOL_WAIT_MS = 3_000;

/**
 * A migration pool's settings: the request path's timeouts off, explicitly, since the role's
 * defaults in the database carry them once the service has run behind a pooler.
 */
function migrationSettings(poolSize: number) {
  return {
    max: poolSize,
    connectionTimeoutMillis: POOL_WAIT_MS,
    keepAlive: true,
    options: '-c statement_timeout=0 -c lock_timeout=0',
  };
}

/**
 * node-postgres's pool settings, every wait bounded; with `sessionSettings`, SESSION_SETTINGS as
 * startup parameters.
 */
function connectionSettings(poolSize: number, sessionSettings: boolean): ServicePoolConfig {
  const { client_connection_check_interval: checkMs, ...timeouts } = SESSION_SETTINGS;
  return {
    max: poolSize,
    connectionTimeoutMillis: POOL_WAIT_MS,
    idleTimeoutMillis: 30_000,
    silenceTimeoutMillis: CLIENT_QUERY_TIMEOUT_MS,
    keepAliveInitialDelayMillis: 10_000,
    keepAlive: true,
    ...(sessionSettings
      ? { ...timeouts, options: `-c client_connection_check_interval=${checkMs}` }
      : {}),
  };
}

/** node-postgres's pool behind `dataSource` (TypeORM keeps it as the driver's `master`), once initialised. */
export function poolOf(dataSource: DataSource): pg.Pool | undefined {
  return (dataSource.driver as unknown as { master?: pg.Pool }).master;
}
