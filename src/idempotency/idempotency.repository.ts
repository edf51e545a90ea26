import { Injectable } from '@nestjs/common';
import { run, statement, Statement, Values } from '../database/statement';
import { Tx } from '../database/transactions';
import { HttpOutcome } from '../http/outcome';
import { createStatement } from './create-statement';

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

interface StoredRow {
  fingerprint: Buffer;
  response_status: number;
  response_headers: Record<string, string>;
  response_body: string;
  expires_at: Date;
}

/** A stored row's columns where no row was found (an outer join's). */
type NoRow = { [K in keyof StoredRow]: null };

type ClaimRow = { claimed_until: Date | null } & (StoredRow | NoRow);

export type ClaimResult =
  { state: 'written' } | { state: 'busy' } | { state: 'exists'; stored: StoredOutcome };

/** A batched statement's values: the claims and the feature's rows as JSON arrays, in one order. */
export interface ManyValues {
  claims: string;
  rows: string;
  ttlMs: number;
}

function claimResult(row: ClaimRow): ClaimResult {
  if (row.claimed_until) return { state: 'written' };
  if (row.fingerprint === null) return { state: 'busy' };
  return { state: 'exists', stored: toStored(row) };
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

const FIND = statement(
  'IdempotencyRepository.find',
  `
   SELECT fingerprint, response_status, response_headers, response_body, expires_at
     FROM idempotency_keys
    WHERE caller = :caller AND method = :method AND route = :route AND key = :key AND expires_at > now()`,
);

/**
 * FIND for many scopes in one statement: a row per scope, in their order, all columns null where
 * no live record is stored. The key's primary key finds each.
 */
const FIND_MANY = statement(
  'IdempotencyRepository.findMany',
  `
   SELECT k.fingerprint, k.response_status, k.response_headers, k.response_body, k.expires_at
     FROM unnest(:callers::text[], :methods::text[], :routes::text[], :keys::text[])
          WITH ORDINALITY AS s(caller, method, route, key, position)
     LEFT JOIN idempotency_keys k
            ON k.caller = s.caller AND k.method = s.method AND k.route = s.route AND k.key = s.key
           AND k.expires_at > now()
    ORDER BY s.position`,
);

/** A business rejection (409 ...) stored as the key's answer: the claim with no rows. */
const STORE_REJECTION = createStatement('IdempotencyRepository.storeRejection', []);

/**
 * The oldest expired keys first, in the order of `expires_at`'s index: so the index is the plan
 * whatever the statistics say. Without the order, a table with no statistics yet (or stale ones)
 * is estimated a third expired, and a sequential scan that expects its batch within the first
 * pages read the whole table on every sweep, though none had expired.
 */
const DELETE_EXPIRED = statement(
  'IdempotencyRepository.deleteExpired',
  `
   WITH deleted AS (
     DELETE FROM idempotency_keys WHERE ctid = ANY (ARRAY(
       SELECT ctid FROM idempotency_keys WHERE expires_at <= now()
        ORDER BY expires_at LIMIT :batchSize FOR UPDATE SKIP LOCKED))
     RETURNING 1)
   SELECT count(*)::int AS deleted FROM deleted`,
);

/** All SQL of the idempotency store; the statements are in `sql/idempotency.sql`. */
@Injectable()
export class IdempotencyRepository {
  static readonly statements: Statement[] = [
    FIND,
    FIND_MANY,
    STORE_REJECTION.keyed,
    DELETE_EXPIRED,
  ];

  /**
   * Runs a create's keyed statement, which never waits on another request: `written` (the key
   * claimed, the rows and the answer written, all or nothing), `exists` (the live record for the
   * key), or `busy` while another transaction holds the key.
   */
  async claim(tx: Tx, keyed: Statement, values: Values): Promise<ClaimResult> {
    const [row] = await run<ClaimRow>(tx, keyed, values);
    return claimResult(row);
  }

  /**
   * Many creates' claims and writes in one statement (a create's `many`), all or nothing: a
   * result per create, in their order. `claims` and `rows`: their JSON rows (see `claimRow`).
   */
  async claimMany(tx: Tx, many: Statement, values: ManyValues): Promise<ClaimResult[]> {
    const rows = await run<ClaimRow>(tx, many, values);
    return rows.map(claimResult);
  }

  /** The claim alone, answering with a business rejection. */
  claimForRejection(tx: Tx, values: Values): Promise<ClaimResult> {
    return this.claim(tx, STORE_REJECTION.keyed, values);
  }

  async write(tx: Tx, unkeyed: Statement, values: Values): Promise<void> {
    await run(tx, unkeyed, values);
  }

  async find(tx: Tx, scope: KeyScope): Promise<StoredOutcome | null> {
    const rows = await run<StoredRow>(tx, FIND, scope);
    return rows.length ? toStored(rows[0]) : null;
  }

  /** `find` for each of `scopes`, in one statement: a result per scope, in their order. */
  async findMany(tx: Tx, scopes: readonly KeyScope[]): Promise<(StoredOutcome | null)[]> {
    const rows = await run<StoredRow | NoRow>(tx, FIND_MANY, {
      callers: scopes.map((scope) => scope.caller),
      methods: scopes.map((scope) => scope.method),
      routes: scopes.map((scope) => scope.route),
      keys: scopes.map((scope) => scope.key),
    });
    return rows.map((row) => (row.fingerprint === null ? null : toStored(row)));
  }

  /** Deletes up to `batchSize` expired records (none another transaction holds): how many went. */
  async deleteExpired(tx: Tx, batchSize: number): Promise<number> {
    const [{ deleted }] = await run<{ deleted: number }>(tx, DELETE_EXPIRED, { batchSize });
    return deleted;
  }
}
