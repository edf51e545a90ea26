import { QUERY_READ_TIMEOUT } from './service-pool';

const UNAVAILABLE_SQLSTATE_CLASSES = ['08', '53', '57P']; // connection, resources, operator intervention
const UNAVAILABLE_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  QUERY_READ_TIMEOUT, // ServicePool's, and node-postgres's own query_timeout (the LISTEN check)
  // TypeORM marks a query runner released once its connection died (terminated backend, restart).
  'Database connection provided by a query runner was already released',
  'Query runner already released',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Connection is not established',
  'Cannot use a pool after calling end',
  // 55000 at connect (ALLOW_CONNECTIONS false, a database being dropped or renamed); the code alone
  // also covers deterministic failures ("currval ... is not yet defined") that no retry would fix.
  'is not currently accepting connections',
];

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True for failures that mean "the database cannot serve us right now" rather than a bug. */
export function isDatabaseUnavailable(error: unknown): boolean {
  // Duck-typed, not `instanceof Error`: socket errors may come from another realm (VM contexts).
  if (typeof error !== 'object' || error === null) return false;
  const code = codeOf(error) ?? codeOf((error as { driverError?: unknown }).driverError);
  if (code && UNAVAILABLE_NODE_CODES.has(code)) return true;
  if (code && UNAVAILABLE_SQLSTATE_CLASSES.some((prefix) => code.startsWith(prefix))) return true;
  if (code === '57014') return true; // statement_timeout: an overloaded database, retry later
  if (code === '55P03') return true; // lock_timeout: a row is held too long; busy, retry later
  // No writes (a standby, default_transaction_read_only): not ours to fix, retry later.
  if (code === '25006') return true;
  const message = (error as { message?: unknown }).message;
  if (typeof message !== 'string') return false;
  return UNAVAILABLE_MESSAGES.some((known) => message.includes(known));
}

/**
 * A failure one row of a statement can cause (its data, a constraint, a deadlock or serialization
 * failure with another transaction, a key twice in one statement), as opposed to the database or
 * the connection failing: a statement of many creates that failed so is worth running create by
 * create.
 */
export function isRowFailure(error: unknown): boolean {
  const code = codeOf(driverErrorOf(error));
  if (!code) return false;
  return code.startsWith('22') || code.startsWith('23') || ROW_FAILURES.has(code);
}

const ROW_FAILURES = new Set(['40P01', '40001', '21000']);

/** The domain error each unique constraint means when a statement violates it, by name. */
export type UniqueConflicts = ReadonlyMap<string, new () => Error>;

/**
 * `error` as the domain error its violated unique constraint means in `conflicts` (a race that a
 * feature's own check lost: 409), or as it is.
 */
export function asUniqueConflict(error: unknown, conflicts: UniqueConflicts): unknown {
  const constraint = uniqueViolation(error);
  const Conflict = constraint === null ? undefined : conflicts.get(constraint);
  return Conflict ? new Conflict() : error;
}

/** The violated constraint's name when `error` is a unique violation (SQLSTATE 23505). */
export function uniqueViolation(error: unknown): string | null {
  return violatedConstraint(error, '23505');
}

/** The violated constraint's name when `error` is a foreign-key violation (SQLSTATE 23503). */
export function foreignKeyViolation(error: unknown): string | null {
  return violatedConstraint(error, '23503');
}

/** PostgreSQL refused text it cannot store, such as NUL (SQLSTATE 22021 / 22P05): bad input. */
export function isUnstorableText(error: unknown): boolean {
  const code = codeOf(driverErrorOf(error));
  return code === '22021' || code === '22P05';
}

/** TypeORM wraps the pg error as `driverError`; bare pg errors come as they are. */
function driverErrorOf(error: unknown): unknown {
  return (error as { driverError?: unknown } | null)?.driverError ?? error;
}

function violatedConstraint(error: unknown, sqlstate: string): string | null {
  const driverError = driverErrorOf(error);
  if (codeOf(driverError) !== sqlstate) return null;
  return (driverError as { constraint?: string }).constraint ?? '';
}
