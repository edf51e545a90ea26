import { queryPrepared } from './prepared';
import { Tx } from './transactions';

/** The numbered parameters of one statement, shared by the parts that compose it. */
export class StatementParams {
  readonly values: unknown[] = [];

  /** Adds a value and returns its placeholder (`$n`), cast when `type` is given. */
  add(value: unknown, type?: string): string {
    this.values.push(value);
    return type ? `$${this.values.length}::${type}` : `$${this.values.length}`;
  }
}

/**
 * A create's rows as data-modifying CTEs that write only when the `guard` relation yields a row.
 * The idempotency store puts them into the same statement as the key record it claims, so a
 * create and its stored answer are one round trip and commit (or fail) together.
 */
export interface GuardedWrite {
  /** `name AS (INSERT ... SELECT ... FROM <guard>), ...`: CTEs only, ready to follow `WITH`. */
  ctes(params: StatementParams, guard: string): string;
  /** The statement's failure in domain terms (a unique violation as a 409 error), or as it was. */
  rejection(error: unknown): unknown;
}

/** Runs a guarded write on its own (a create without an Idempotency-Key). */
export async function runGuardedWrite(tx: Tx, write: GuardedWrite): Promise<void> {
  const params = new StatementParams();
  const sql = `WITH always AS (SELECT 1), ${write.ctes(params, 'always')} SELECT 1`;
  try {
    await queryPrepared(tx, sql, params.values);
  } catch (error) {
    throw write.rejection(error);
  }
}
