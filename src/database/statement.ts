import { createHash } from 'node:crypto';
import { ClientBase, DatabaseError, Pool, PoolClient, Query, QueryResultRow } from 'pg';
import { Tx } from './transactions';

/**
 * One SQL statement, written once in code with `:named` parameters and compiled at load time to
 * PostgreSQL's `$n` placeholders. `npm run sql` writes every statement to `sql/` as it is sent,
 * so each can be read (and reviewed in a diff) whole.
 */
export interface Statement {
  /** `Repository.method`: where it runs, and its heading in `sql/`. */
  readonly name: string;
  /** The text sent to PostgreSQL, `$n` placeholders only: never a value. */
  readonly text: string;
  /** The parameter named by each `$n`, in order. */
  readonly params: readonly string[];
  /** The prepared statement's name: PostgreSQL parses and plans it once per connection. */
  readonly preparedName: string;
}

/**
 * A statement's values by parameter name: an object whose properties include them, or a list of
 * such objects, each name read from the first that has it (so a caller need not copy them into one).
 */
export type Values = object | readonly object[];

/** `:name` but not the `::type` of a cast, nor a colon inside a word or number. */
const NAMED_PARAMETER = /(?<![:\w]):([A-Za-z_]\w*)/g;

export function statement(name: string, sql: string): Statement {
  const params: string[] = [];
  const text = dedent(sql).replace(NAMED_PARAMETER, (_match, param: string) => {
    const index = params.indexOf(param);
    if (index >= 0) return `$${index + 1}`;
    params.push(param);
    return `$${params.length}`;
  });
  const preparedName = `s_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
  return { name, text, params, preparedName };
}

/** `values` as the objects `bind` reads a name from, in order. */
export const valueSources = (values: Values): readonly object[] =>
  Array.isArray(values) ? values : [values];

/** The values in `$n` order. A parameter missing from `values` is a bug, never a silent null. */
export function bind(statement: Statement, values: Values): unknown[] {
  const sources = valueSources(values) as readonly Record<string, unknown>[];
  return statement.params.map((param) => {
    for (const source of sources) {
      const value = source[param];
      if (value !== undefined) return value;
    }
    throw new Error(`${statement.name}: no value for :${param}`);
  });
}

/**
 * Runs `statement` as a named prepared statement on `tx`'s connection (unnamed through a
 * transaction pooler). Outside a transaction it
 * goes to node-postgres's pool directly (see `Tx.pool`).
 */
export function run<T>(tx: Tx, statement: Statement, values: Values): Promise<T[]> {
  const query: StatementQuery = {
    name: tx.unprepared ? undefined : statement.preparedName,
    text: statement.text,
    values: bind(statement, values),
  };
  if (tx.pool) return queryOnPool<T>(tx.pool, query);
  return queryInTransaction<T>(tx, query);
}

interface StatementQuery {
  /** The prepared statement's name; none: parsed anew each time (unnamed). */
  name: string | undefined;
  text: string;
  values: unknown[];
}

/**
 * On the transaction's own connection, straight to node-postgres: TypeORM's `query` would answer
 * an UPDATE or DELETE with `[rows, count]` rather than the rows.
 */
async function queryInTransaction<T>(tx: Tx, query: StatementQuery): Promise<T[]> {
  const client = (await tx.manager.queryRunner!.connect()) as PoolClient;
  return send<T>(client, query);
}

/**
 * One statement on a pooled connection. Not `Pool.query`: it closes the connection after any
 * error, so every 409 (a unique violation) would cost a new connection and its statements'
 * preparation. An error the server answered leaves the connection usable, unless it ends the
 * session (FATAL: a terminated backend, or PgBouncer losing its server connection, which closes
 * the client's a moment later); any other (a timeout, a lost socket) gets it discarded too.
 */
async function queryOnPool<T>(pool: Pool, query: StatementQuery): Promise<T[]> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    return await send<T>(client, query);
  } catch (error) {
    if (!(error instanceof DatabaseError) || endsSession(error)) broken = error as Error;
    throw error;
  } finally {
    client.release(broken);
  }
}

/**
 * The statement as node-postgres's `Query` made from its text: given a config object instead,
 * `Query` first copies it through its property descriptors, a slow path of V8's, on every query.
 * The name is set before `client.query` submits it, which is when node-postgres reads it.
 */
function send<T>(client: ClientBase, { name, text, values }: StatementQuery): Promise<T[]> {
  return new Promise<T[]>((resolve, reject) => {
    const query = new Query<QueryResultRow>(text, values, (error, result) =>
      error ? reject(error) : resolve(result.rows as T[]),
    );
    (query as { name?: string }).name = name;
    client.query(query);
  });
}

/** After a FATAL (or PANIC) error the server closes the session: the connection is done. */
const endsSession = (error: DatabaseError) =>
  error.severity === 'FATAL' || error.severity === 'PANIC';

/**
 * The SQL as written in a template literal that starts with a line break, without the
 * indentation common to its lines.
 */
export function dedent(sql: string): string {
  const lines = sql
    .replace(/^\s*\n/, '')
    .trimEnd()
    .split('\n');
  const indents = lines.filter((line) => line.trim()).map((line) => /^ */.exec(line)![0].length);
  const common = Math.min(...indents);
  return lines.map((line) => line.slice(common)).join('\n');
}
