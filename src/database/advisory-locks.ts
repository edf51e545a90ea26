import { run, statement, type Statement } from './statement';
import type { Tx } from './transactions';

/**
 * The fixed keys of the advisory locks the service takes, in one place so that no two pieces of
 * work share one by accident; each only has to be the same in every replica. (A create's claim
 * locks a key hashed from its Idempotency-Key's scope instead: see create-statement.ts.)
 */
export const LockKeys = {
  /** Held by the replica applying migrations (a session lock: the others wait). */
  migrations: 7_283_001,
  idempotencyExpiry: 7_283_002,
  eventNumbering: 7_283_003,
  eventRelay: 7_283_004,
  eventRetention: 7_283_005,
  rateLimitExpiry: 7_283_006,
} as const;

const TRY_XACT_LOCK = statement(
  'AdvisoryLocks.tryXactLock',
  `SELECT pg_try_advisory_xact_lock(:lockKey::bigint) AS locked`,
);

export const advisoryLockStatements: readonly Statement[] = [TRY_XACT_LOCK];

/**
 * True when `tx` now holds `lockKey` until it ends (commit or rollback, so a crash frees it too);
 * false at once when another transaction holds it: work shared by the replicas is done by one.
 */
export async function tryXactLock(tx: Tx, lockKey: number): Promise<boolean> {
  const [{ locked }] = await run<{ locked: boolean }>(tx, TRY_XACT_LOCK, { lockKey });
  return locked;
}
