import { createHash } from 'node:crypto';
import { DatabaseError, Pool, QueryConfig, QueryResultRow } from 'pg';
import { Tx } from './transactions';

/** Statement names by SQL text; the texts come from code, so there are only a few of them. */
const names = new Map<string, string>();

/**
 * Runs `sql` as a named statement: PostgreSQL parses and plans it once per connection rather than
 * on every request, which was a large share of its CPU for the create statement. node-postgres
 * prepares a name the first time a connection sees it; TypeORM hands the query config to it as is.
 * Outside a transaction the statement goes to the pool directly (see `Tx.pool`).
 * `sql` must never contain values, only placeholders.
 */
export function queryPrepared<T>(tx: Tx, sql: string, values: unknown[]): Promise<T[]> {
  let name = names.get(sql);
  if (name === undefined) {
    name = `s_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`;
    names.set(sql, name);
  }
  if (tx.pool) return queryOnPool<T>(tx.pool, { name, text: sql, values });
  return tx.manager.query<T[]>({ name, text: sql } as unknown as string, values);
}

/**
 * One statement on a pooled connection. Not `Pool.query`: it closes the connection after any
 * error, so every 409 (a unique violation) would cost a new connection and its statements'
 * preparation. An error the server answered leaves the connection usable; any other (a timeout,
 * a lost socket) gets it discarded.
 */
async function queryOnPool<T>(pool: Pool, config: QueryConfig): Promise<T[]> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    return (await client.query<QueryResultRow>(config)).rows as T[];
  } catch (error) {
    if (!(error instanceof DatabaseError)) broken = error as Error;
    throw error;
  } finally {
    client.release(broken);
  }
}
