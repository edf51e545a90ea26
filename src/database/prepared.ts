import { createHash } from 'node:crypto';
import type { QueryResultRow } from 'pg';
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
  if (tx.pool) {
    const result = tx.pool.query<QueryResultRow>({ name, text: sql, values });
    return result.then(({ rows }) => rows as T[]);
  }
  return tx.manager.query<T[]>({ name, text: sql } as unknown as string, values);
}
