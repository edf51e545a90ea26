import { Logger as GraphileLogger, runMigrations } from 'graphile-worker';
import { migrations } from 'graphile-worker/dist/generated/sql';
import type { Pool } from 'pg';

/** graphile-worker's own schema, versioned by graphile-worker (table graphile_worker.migrations). */
export const JOB_SCHEMA = 'graphile_worker';

/** The newest graphile-worker migration this build ships. */
export const JOB_SCHEMA_VERSION = Math.max(
  ...Object.keys(migrations).map((file) => parseInt(file.slice(0, 6), 10)),
);

const silent = new GraphileLogger(() => () => undefined);

/**
 * Installs or upgrades the job queue's schema. graphile-worker applies its own migrations (it
 * owns that schema); the caller serialises replicas with the migration lock.
 */
export async function migrateJobSchema(pool: Pool): Promise<void> {
  await runMigrations({ pgPool: pool, schema: JOB_SCHEMA, logger: silent });
}
