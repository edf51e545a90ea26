import { dedent, Statement, statement } from '../database/statement';

/**
 * One write of a create: a data-modifying CTE (`INSERT ... SELECT ... FROM claimed`) that reads
 * from `claimed` or from an earlier write. `claimed` has one row when the create may write (its
 * key was just claimed, or it has no key) and none on a replay, so a replay writes nothing.
 * A feature lists its writes; adding one more (a job, an event) is one more entry in that list.
 */
export interface Write {
  /** The CTE's name, which later writes may read from. */
  readonly name: string;
  /** The CTE's body, with `:named` parameters. */
  readonly sql: string;
}

export const write = (name: string, sql: string): Write => ({ name, sql: dedent(sql) });

/** A create's statements: compiled once, when the feature's module loads. */
export interface CreateStatement {
  /** With an Idempotency-Key: the key's claim, the writes and the stored answer, all or nothing. */
  readonly keyed: Statement;
  /** Without a key: the writes alone. */
  readonly unkeyed: Statement;
}

/** The relation every create's first write reads from. */
const CLAIMED = 'claimed';

/**
 * The key's claim as CTEs: the live record for the key if there is one (`existing`); otherwise
 * the key claimed with the create's answer (`claimed`), unless another transaction holds its
 * advisory lock (taken by every claim before it inserts), so that a duplicate never waits on a
 * lock while holding a connection. An expired record is taken over.
 */
const CLAIM_CTES = `
  existing AS (
    SELECT fingerprint, response_status, response_headers, response_body, expires_at
      FROM idempotency_keys
     WHERE caller = :caller AND method = :method AND route = :route AND key = :key AND expires_at > now()),
  lock AS MATERIALIZED (
    SELECT pg_try_advisory_xact_lock(:lockId::bigint) AS locked
     WHERE NOT EXISTS (SELECT 1 FROM existing)),
  claimed AS (
    INSERT INTO idempotency_keys AS k
      (caller, method, route, key, fingerprint, response_status, response_headers, response_body, created_at, expires_at)
    SELECT :caller, :method, :route, :key, :fingerprint::bytea,
           :responseStatus::integer, :responseHeaders::jsonb, :responseBody::text,
           now(), now() + :ttlMs::integer * interval '1 millisecond'
      FROM lock WHERE locked
    ON CONFLICT (caller, method, route, key) DO UPDATE
      SET fingerprint = EXCLUDED.fingerprint, response_status = EXCLUDED.response_status,
          response_headers = EXCLUDED.response_headers, response_body = EXCLUDED.response_body,
          created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
      WHERE k.expires_at <= now()
    RETURNING k.expires_at)`;

/**
 * `claimed_until` set: written. Else the live record's columns, or all null while the key is busy.
 * `ran`: the writes that are SELECTs (of a function such as a job queue's `add_job`), counted so
 * that they run: PostgreSQL skips a SELECT CTE the query does not read, unlike an INSERT.
 */
const claimResult = (ran: string) => `
SELECT (SELECT expires_at FROM claimed) AS claimed_until, e.*${ran}
  FROM (SELECT 1) AS one LEFT JOIN existing e ON true`;

/** Compiles a create's writes into its keyed and unkeyed statements. */
export function createStatement(name: string, writes: readonly Write[]): CreateStatement {
  const claimParams = statement('claim', `WITH${CLAIM_CTES}${claimResult('')}`).params;
  checkWrites(name, writes, claimParams);
  const ctes = writes.map((w) => `,\n  ${w.name} AS (\n${indent(w.sql)})`).join('');
  const ran = writes
    .filter((w) => /^SELECT\b/i.test(w.sql))
    .map((w) => `, (SELECT count(*) FROM ${w.name}) AS ${w.name}`)
    .join('');
  return {
    keyed: statement(
      `${name} (with Idempotency-Key)`,
      `\nWITH${CLAIM_CTES}${ctes}${claimResult(ran)}`,
    ),
    unkeyed: statement(name, `\nWITH\n  ${CLAIMED} AS (SELECT 1)${ctes}\nSELECT 1${ran}`),
  };
}

/**
 * Refuses, at load time, a write that could run on a replay (it does not read from `claimed` or
 * an earlier write) or whose parameters would take the claim's values.
 */
function checkWrites(name: string, writes: readonly Write[], claimParams: readonly string[]) {
  const readable = new Set([CLAIMED]);
  for (const w of writes) {
    const from = /\bFROM\s+(\w+)/i.exec(w.sql)?.[1];
    if (!from || !readable.has(from))
      throw new Error(`${name}: write ${w.name} must read FROM ${[...readable].join(' or ')}`);
    const clash = statement(w.name, w.sql).params.find((param) => claimParams.includes(param));
    if (clash) throw new Error(`${name}: write ${w.name} reuses the claim's parameter :${clash}`);
    readable.add(w.name);
  }
}

function indent(sql: string): string {
  return sql
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}
