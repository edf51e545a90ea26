import { join } from 'node:path';
import * as pg from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';

const MIGRATIONS_GLOB = join(__dirname, '..', '..', 'migrations', '*.{js,ts}');

/** The entity classes; the caller passes them (src/entities.ts) since this folder knows no feature. */
export type EntityList = NonNullable<DataSourceOptions['entities']>;

export interface DataSourceSettings {
  url: string;
  entities: EntityList;
  poolSize: number;
  applicationName?: string;
}

/**
 * pg's Pool, with every client it opens keeping an `error` listener for life. TypeORM listens
 * only while a client is checked out and stops listening as it releases a failed one; a killed
 * backend then emits its second error ("Connection terminated unexpectedly") with no listener,
 * which would crash the process. The failure itself still reaches the query that hit it.
 */
class ClientErrorSafePool extends pg.Pool {
  constructor(config?: pg.PoolConfig) {
    super(config);
    this.on('connect', (client) => client.on('error', () => undefined));
  }
}

export function createDataSource({
  url,
  entities,
  poolSize,
  applicationName,
}: DataSourceSettings): DataSource {
  return new DataSource({
    type: 'postgres',
    driver: { ...pg, Pool: ClientErrorSafePool },
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
    extra: connectionSettings(poolSize),
    // node-postgres emits `error` for idle clients whose server went away; unhandled, it kills the process.
    poolErrorHandler: () => undefined,
  });
}

/** node-postgres's pool and session settings: every wait is bounded, so failures surface fast. */
function connectionSettings(poolSize: number) {
  return {
    max: poolSize,
    connectionTimeoutMillis: 3_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: 15_000,
    // A server that stops answering (frozen host, silent partition) must not hang requests for
    // the kernel's TCP timeout: give up client-side a little after statement_timeout.
    query_timeout: 20_000,
    keepAliveInitialDelayMillis: 10_000,
    // Row-lock waits end in a 503 rather than queueing requests behind a stuck transaction.
    lock_timeout: 10_000,
    // A transaction left open by a hung process must not hold keys and row locks for long.
    idle_in_transaction_session_timeout: 60_000,
    // PostgreSQL 14+: notice within a second that a crashed replica's socket is gone, even while
    // its query waits on a lock, so its transaction (and idempotency claim) is rolled back at once.
    options: '-c client_connection_check_interval=1000',
    keepAlive: true,
  };
}

/** node-postgres's pool behind `dataSource` (TypeORM keeps it as the driver's `master`), once initialised. */
export function poolOf(dataSource: DataSource): pg.Pool | undefined {
  return (dataSource.driver as unknown as { master?: pg.Pool }).master;
}
