import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { GuardedWrite, StatementParams } from '../database/guarded-write';
import { queryPrepared } from '../database/prepared';
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
  expiresAt: Date;
}

/** A 64-bit lock id per key scope; a collision only makes two unrelated keys wait for each other. */
function advisoryLockKey({ caller, method, route, key }: KeyScope): string {
  return createHash('sha256')
    .update(JSON.stringify([caller, method, route, key]))
    .digest()
    .readBigInt64BE(0)
    .toString();
}

interface StoredRow {
  fingerprint: Buffer;
  response_status: number;
  response_headers: Record<string, string>;
  response_body: string;
  expires_at: Date;
}

type ClaimRow = { claimed_until: Date | null } & (StoredRow | { [K in keyof StoredRow]: null });

export type ClaimResult =
  | { state: 'written' }
  | { state: 'busy' }
  | { state: 'exists'; stored: StoredOutcome };

/** What a create hands the store: its answer, decided before any database work, and its rows. */
export interface PlannedCreate {
  outcome: HttpOutcome;
  write: GuardedWrite | null;
}

function toStored(row: StoredRow): StoredOutcome {
  return {
    fingerprint: row.fingerprint,
    outcome: {
      status: row.response_status,
      headers: row.response_headers,
      body: row.response_body,
    },
    expiresAt: row.expires_at,
  };
}

const SCOPE = 'caller = $1 AND method = $2 AND route = $3 AND key = $4';
const scopeParams = (scope: KeyScope) => [scope.caller, scope.method, scope.route, scope.key];

/** The SQL of `claimAndWrite`; its values go into `params`. */
function claimAndWriteStatement(
  params: StatementParams,
  scope: KeyScope,
  fingerprint: Buffer,
  ttlMs: number,
  { outcome, write }: PlannedCreate,
): string {
  const [caller, method, route, key] = scopeParams(scope).map((value) => params.add(value));
  return `WITH existing AS (
      SELECT fingerprint, response_status, response_headers, response_body, expires_at FROM idempotency_keys
       WHERE caller = ${caller} AND method = ${method} AND route = ${route} AND key = ${key} AND expires_at > now()),
    lock AS MATERIALIZED (
      SELECT pg_try_advisory_xact_lock(${params.add(advisoryLockKey(scope), 'bigint')}) AS locked
       WHERE NOT EXISTS (SELECT 1 FROM existing)),
    claim AS (
      INSERT INTO idempotency_keys AS k
        (caller, method, route, key, fingerprint, response_status, response_headers, response_body, created_at, expires_at)
      SELECT ${caller}, ${method}, ${route}, ${key}, ${params.add(fingerprint, 'bytea')},
             ${params.add(outcome.status, 'integer')}, ${params.add(outcome.headers, 'jsonb')},
             ${params.add(outcome.body, 'text')}, now(), now() + ${params.add(ttlMs, 'integer')} * interval '1 millisecond'
        FROM lock WHERE locked
      ON CONFLICT (caller, method, route, key) DO UPDATE
        SET fingerprint = EXCLUDED.fingerprint, response_status = EXCLUDED.response_status,
            response_headers = EXCLUDED.response_headers, response_body = EXCLUDED.response_body,
            created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
        WHERE k.expires_at <= now()
      RETURNING k.expires_at)
    ${write ? `, ${write.ctes(params, 'claim')}` : ''}
    SELECT (SELECT expires_at FROM claim) AS claimed_until, e.* FROM (SELECT 1) AS one LEFT JOIN existing e ON true`;
}

/** All SQL of the idempotency store. */
@Injectable()
export class IdempotencyRepository {
  /**
   * One statement, never waiting on another request: the live record for `scope` if there is
   * one (`exists`); otherwise the key claimed with `create.outcome` as its answer and
   * `create.write`'s rows inserted (`written`), all or nothing; or `busy` while another
   * transaction holds the key (its advisory lock, taken by every claim before it inserts), so the
   * caller can wait without holding a connection. An expired record is taken over.
   */
  async claimAndWrite(
    tx: Tx,
    scope: KeyScope,
    fingerprint: Buffer,
    ttlMs: number,
    create: PlannedCreate,
  ): Promise<ClaimResult> {
    const params = new StatementParams();
    const sql = claimAndWriteStatement(params, scope, fingerprint, ttlMs, create);
    const [row] = await queryPrepared<ClaimRow>(tx, sql, params.values);
    if (row.claimed_until) return { state: 'written' };
    if (row.fingerprint === null) return { state: 'busy' };
    return { state: 'exists', stored: toStored(row) };
  }

  async find(tx: Tx, scope: KeyScope): Promise<StoredOutcome | null> {
    const rows = await queryPrepared<StoredRow>(
      tx,
      `SELECT fingerprint, response_status, response_headers, response_body, expires_at
         FROM idempotency_keys WHERE ${SCOPE} AND expires_at > now()`,
      scopeParams(scope),
    );
    return rows.length ? toStored(rows[0]) : null;
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
