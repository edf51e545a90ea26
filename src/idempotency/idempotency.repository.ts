import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Tx } from '../database/transactions';
import { HttpOutcome } from '../http/outcome';

export interface KeyScope {
  caller: string;
  method: string;
  route: string;
  key: string;
}

export interface StoredOutcome {
  fingerprint: Buffer;
  outcome: HttpOutcome;
}

/** A 64-bit lock id per key scope; a collision only makes two unrelated keys wait for each other. */
function advisoryLockKey({ caller, method, route, key }: KeyScope): string {
  return createHash('sha256')
    .update(JSON.stringify([caller, method, route, key]))
    .digest()
    .readBigInt64BE(0)
    .toString();
}

const SCOPE = 'caller = $1 AND method = $2 AND route = $3 AND key = $4';
const scopeParams = (scope: KeyScope) => [scope.caller, scope.method, scope.route, scope.key];

/** All SQL of the idempotency store. */
@Injectable()
export class IdempotencyRepository {
  /**
   * Tries to claim the key inside `tx`, without ever waiting:
   * - `claimed`: this transaction inserted the row (or took over an expired one); it stays
   *   invisible to others until commit, and `complete` fills in the outcome before then;
   * - `exists`: a live record is committed; read it with `find`;
   * - `busy`: another transaction holds the key right now (its advisory lock, taken by every
   *   claim before it inserts), so the caller can wait without holding a connection.
   */
  async claim(
    tx: Tx,
    scope: KeyScope,
    fingerprint: Buffer,
    ttlMs: number,
  ): Promise<'claimed' | 'exists' | 'busy'> {
    const [row]: { locked: boolean; claimed: boolean }[] = await tx.manager.query(
      `WITH lock AS MATERIALIZED (SELECT pg_try_advisory_xact_lock($7::bigint) AS locked),
       claim AS (
         INSERT INTO idempotency_keys AS k
           (caller, method, route, key, fingerprint, response_status, response_headers, response_body, created_at, expires_at)
         SELECT $1, $2, $3, $4, $5, 0, '{}', '', now(), now() + $6 * interval '1 millisecond' FROM lock WHERE locked
         ON CONFLICT (caller, method, route, key) DO UPDATE
           SET fingerprint = EXCLUDED.fingerprint, response_status = EXCLUDED.response_status,
               response_headers = EXCLUDED.response_headers, response_body = EXCLUDED.response_body,
               created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
           WHERE k.expires_at <= now()
         RETURNING 1)
       SELECT (SELECT locked FROM lock) AS locked, EXISTS (SELECT 1 FROM claim) AS claimed`,
      [...scopeParams(scope), fingerprint, ttlMs, advisoryLockKey(scope)],
    );
    if (!row.locked) return 'busy';
    return row.claimed ? 'claimed' : 'exists';
  }

  /** Writes the handler's outcome into the row this transaction claimed. */
  async complete(tx: Tx, scope: KeyScope, outcome: HttpOutcome): Promise<void> {
    await tx.manager.query(
      `UPDATE idempotency_keys SET response_status = $5, response_headers = $6, response_body = $7 WHERE ${SCOPE}`,
      [...scopeParams(scope), outcome.status, outcome.headers, outcome.body],
    );
  }

  async find(tx: Tx, scope: KeyScope): Promise<StoredOutcome | null> {
    const rows: {
      fingerprint: Buffer;
      response_status: number;
      response_headers: Record<string, string>;
      response_body: string;
    }[] = await tx.manager.query(
      `SELECT fingerprint, response_status, response_headers, response_body
           FROM idempotency_keys WHERE ${SCOPE} AND expires_at > now()`,
      scopeParams(scope),
    );
    if (rows.length === 0) return null;
    const [row] = rows;
    return {
      fingerprint: row.fingerprint,
      outcome: {
        status: row.response_status,
        headers: row.response_headers,
        body: row.response_body,
      },
    };
  }

  /**
   * Deletes up to `batchSize` expired records, unless another replica holds the sweep lock.
   * Null when the lock was taken elsewhere, else how many rows went.
   */
  async deleteExpiredBatch(tx: Tx, lockKey: number, batchSize: number): Promise<number | null> {
    const [{ locked }]: { locked: boolean }[] = await tx.manager.query(
      'SELECT pg_try_advisory_xact_lock($1) AS locked',
      [lockKey],
    );
    if (!locked) return null;
    const [{ deleted }]: { deleted: number }[] = await tx.manager.query(
      `WITH deleted AS (
         DELETE FROM idempotency_keys WHERE ctid = ANY (ARRAY(
           SELECT ctid FROM idempotency_keys WHERE expires_at <= now() LIMIT $1 FOR UPDATE SKIP LOCKED))
         RETURNING 1)
       SELECT count(*)::int AS deleted FROM deleted`,
      [batchSize],
    );
    return deleted;
  }
}
