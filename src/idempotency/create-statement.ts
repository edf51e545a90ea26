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

/**
 * Many keyed creates of one kind in one statement: what a feature adds to have its creates
 * batched (see BatchedClaims). `claimed` then has a row per create whose key was claimed, with
 * the create's own `columns`, read from the JSON rows its feature gives each create.
 */
export interface ManyWrites {
  /** The create's columns as `json_to_recordset` declares them: `id uuid, note text, ...`. */
  readonly columns: string;
  /** The writes, reading their values from the columns of `claimed` (or of an earlier write). */
  readonly writes: readonly Write[];
}

/** A create's statements: compiled once, when the feature's module loads. */
export interface CreateStatement {
  /** With an Idempotency-Key: the key's claim, the writes and the stored answer, all or nothing. */
  readonly keyed: Statement;
  /** Without a key: the writes alone. */
  readonly unkeyed: Statement;
  /** Many keyed creates at once, each all or nothing with the others: when the feature has one. */
  readonly many?: Statement;
}

/** The relation every create's first write reads from. */
const CLAIMED = 'claimed';

/** A claim's insert meeting a record of its key: the record is taken over only once expired. */
const TAKE_OVER_EXPIRED = `ON CONFLICT (caller, method, route, key) DO UPDATE
      SET fingerprint = EXCLUDED.fingerprint, response_status = EXCLUDED.response_status,
          response_headers = EXCLUDED.response_headers, response_body = EXCLUDED.response_body,
          created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
      WHERE k.expires_at <= now()`;

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
           now(), now() + :ttlMs::bigint * interval '1 millisecond'
      FROM lock WHERE locked
    ${TAKE_OVER_EXPIRED}
    RETURNING k.expires_at)`;

/**
 * `claimed_until` set: written. Else the live record's columns, or all null while the key is busy.
 * `ran`: the writes that are SELECTs (of a function such as a job queue's `add_job`), counted so
 * that they run: PostgreSQL skips a SELECT CTE the query does not read, unlike an INSERT.
 */
const claimResult = (ran: string) => `
SELECT (SELECT expires_at FROM claimed) AS claimed_until, e.*${ran}
  FROM (SELECT 1) AS one LEFT JOIN existing e ON true`;

/** The claim's columns in each create's JSON row of a batched statement (see `claimRow`). */
const CLAIM_COLUMNS = `caller text, method text, route text, key text, lock_id bigint, fingerprint text,
      response_status integer, response_headers jsonb, response_body text`;

/**
 * The claim of many keys, as CLAIM_CTES claims one (never one key twice: a process queues a key's
 * duplicates behind it, InFlightRequests, and its batches are that process's own): `input` zips the claims' JSON rows with the
 * feature's (`ordinality`: the create's place in the batch); `existing` probes the key index once
 * per create (LIMIT 1 keeps the planner from scanning every key of the caller for a hash join);
 * `claimed` is each claimed create's input row.
 */
const manyClaimCtes = (columns: string) => `
  input AS MATERIALIZED (
    SELECT * FROM ROWS FROM (
      json_to_recordset(:claims::json) AS (${CLAIM_COLUMNS}),
      json_to_recordset(:rows::json) AS (${columns})) WITH ORDINALITY AS input),
  existing AS (
    SELECT i.ordinality, k.*
      FROM input i CROSS JOIN LATERAL (
        SELECT fingerprint, response_status, response_headers, response_body, expires_at
          FROM idempotency_keys
         WHERE caller = i.caller AND method = i.method AND route = i.route AND key = i.key AND expires_at > now()
         LIMIT 1) k),
  lock AS MATERIALIZED (
    SELECT i.ordinality, pg_try_advisory_xact_lock(i.lock_id) AS locked
      FROM input i WHERE NOT EXISTS (SELECT 1 FROM existing e WHERE e.ordinality = i.ordinality)),
  taken AS (
    INSERT INTO idempotency_keys AS k
      (caller, method, route, key, fingerprint, response_status, response_headers, response_body, created_at, expires_at)
    SELECT i.caller, i.method, i.route, i.key, decode(i.fingerprint, 'hex'),
           i.response_status, i.response_headers, i.response_body,
           now(), now() + :ttlMs::bigint * interval '1 millisecond'
      FROM input i JOIN lock USING (ordinality) WHERE lock.locked
    ${TAKE_OVER_EXPIRED}
    RETURNING k.caller, k.method, k.route, k.key, k.expires_at),
  claimed AS (
    SELECT i.*, t.expires_at AS claimed_until
      FROM taken t JOIN input i USING (caller, method, route, key))`;

/** Per create, in the batch's order: what `claimResult` answers for one. */
const MANY_RESULT = `
SELECT c.claimed_until, e.fingerprint, e.response_status, e.response_headers, e.response_body, e.expires_at
  FROM input i LEFT JOIN claimed c USING (ordinality) LEFT JOIN existing e USING (ordinality)
 ORDER BY i.ordinality`;

/**
 * Compiles a create's writes into its keyed and unkeyed statements, and `many` into its batched
 * statement.
 */
export function createStatement(
  name: string,
  writes: readonly Write[],
  many?: ManyWrites,
): CreateStatement {
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
    many: many && manyStatement(`${name} (many, with Idempotency-Keys)`, many, claimParams),
  };
}

function manyStatement(name: string, many: ManyWrites, claimParams: readonly string[]) {
  if (many.writes.some((w) => /^SELECT\b/i.test(w.sql)))
    throw new Error(`${name}: a batched create's writes must all be INSERTs`);
  checkWrites(name, many.writes, [...claimParams, 'claims', 'rows']);
  const ctes = many.writes.map((w) => `,\n  ${w.name} AS (\n${indent(w.sql)})`).join('');
  return statement(name, `\nWITH${manyClaimCtes(many.columns)}${ctes}${MANY_RESULT}`);
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
