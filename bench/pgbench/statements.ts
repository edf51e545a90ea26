/**
 * Writes pgbench scripts (into the folder given) from the statements as `npm run sql` wrote them
 * in sql/: the keyed order create, every value fixed except a fresh key (and lock id) per
 * transaction, its batched form, the event sequencer's batch, and the order reads (a get of one of
 * reads.sh's 1,000 orders, the first page of 20). Run by run.sh.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const USER = "'11111111-1111-4111-8111-111111111111'";
const HEADERS = `'{"Location": "http://localhost/api/orders/1", "ETag": "\\"abc\\"", "Content-Type": "application/json; charset=utf-8"}'`;
const BODY = `'{"id": "1", "status": "pending", "currency": "EUR", "items": [{"sku": "BENCH-1", "quantity": 2}], "note": null}'`;

/** A value for each parameter, by the name `npm run sql` gives it. */
const VALUES: Record<string, string> = {
  caller: USER,
  method: "'POST'",
  route: "'/api/orders'",
  key: "'k' || :k", // pgbench's variable, set per transaction
  lockId: ':k',
  fingerprint: "'\\x0102'::bytea",
  responseStatus: '201',
  responseHeaders: HEADERS,
  responseBody: BODY,
  ttlMs: '86400000',
  id: 'gen_random_uuid()',
  userId: USER,
  status: "'pending'",
  currency: "'EUR'",
  total: '2599',
  clientReference: 'NULL',
  note: 'NULL',
  createdAt: 'now()',
  updatedAt: 'now()',
  skus: "ARRAY['BENCH-1', 'BENCH-2']",
  quantities: 'ARRAY[2, 1]',
  unitPrices: 'ARRAY[1250, 99]',
  lineTotals: 'ARRAY[2500, 99]',
  eventId: 'gen_random_uuid()',
  eventOwner: USER,
  eventSubject: 'gen_random_uuid()',
  eventData: BODY,
  lockKey: '7283003', // the sequencer's lock (LockKeys.eventNumbering, src/database/advisory-locks.ts)
  batch: '1000',
};

/** The statement under `-- <heading>` in a file of sql/, its `$n` replaced by VALUES (or `given`). */
function statement(file: string, heading: string, given: Record<string, string> = {}): string {
  const text = readFileSync(join(__dirname, '..', '..', 'sql', file), 'utf8');
  const start = text.indexOf(`-- ${heading}\n`);
  if (start < 0) throw new Error(`no statement "${heading}" in sql/${file}`);
  const [, names, ...sql] = text.slice(start, text.indexOf(';\n', start) + 1).split('\n');
  const params = names.startsWith('-- $') ? names.replace(/^-- /, '').split(', ') : [];
  const byNumber = new Map(params.map((p) => p.split(' ') as [string, string]));
  const body = (params.length ? sql : [names, ...sql]).join('\n');
  const value = (name: string) => given[name] ?? VALUES[name];
  return body.replace(/\$(\d+)/g, (_, n: string) => value(byNumber.get(`$${n}`)!));
}

/** `sql` without the text `part` matches; an error if it has none (the statement changed shape). */
function cut(sql: string, part: RegExp, what: string): string {
  if (!part.test(sql)) throw new Error(`no ${what} in the create statement`);
  return sql.replace(part, '');
}

/** The statement without one of its write CTEs (`run.sh parts`: what that write costs). */
function without(sql: string, cte: string): string {
  const block = new RegExp(`,\\n  ${cte} AS \\(.*?\\)(?=,\\n  \\w+ AS \\(|\\nSELECT)`, 's');
  return cut(sql, block, `CTE ${cte}`);
}

/**
 * The statement claiming its key straight away (`run.sh parts`): without the read of a live
 * record first and the advisory lock, the claim's checks that keep a duplicate from waiting on
 * the key's row lock.
 */
function withoutClaimChecks(sql: string): string {
  const checks =
    /\n {2}existing AS \(.*?expires_at > now\(\)\),\n {2}lock AS MATERIALIZED \(.*?existing\)\),/s;
  const withoutCtes = cut(sql, checks, 'existing and lock CTEs');
  const withoutFromLock = cut(withoutCtes, /\n\s*FROM lock WHERE locked/, "claim's FROM lock");
  return cut(
    withoutFromLock,
    /, e\.\*\n\s*FROM \(SELECT 1\) AS one LEFT JOIN existing e ON true/,
    'existing record in the result',
  );
}

/**
 * The batched create's values for `n` creates a transaction, built by PostgreSQL from the same
 * fixed values (a fresh key and lock id per create): its JSON claims and rows.
 */
function manyValues(n: number): Record<string, string> {
  const each = (fields: string) =>
    `(SELECT json_agg(json_build_object(${fields})) FROM generate_series(1, ${n}) AS i)`;
  return {
    claims: each(
      `'caller', ${USER}, 'method', 'POST', 'route', '/api/orders', 'key', 'k' || :k::bigint || '-' || i,
       'lock_id', :k::bigint * 64 + i, 'fingerprint', '0102', 'response_status', 201,
       'response_headers', ${HEADERS}::json, 'response_body', ${BODY}`,
    ),
    rows: each(
      `'id', gen_random_uuid(), 'user_id', ${USER}, 'status', 'pending', 'currency', 'EUR', 'total', 2599,
       'client_reference', NULL, 'note', NULL, 'created_at', now(), 'updated_at', now(),
       'skus', ARRAY['BENCH-1', 'BENCH-2'], 'quantities', ARRAY[2, 1], 'unit_prices', ARRAY[1250, 99],
       'line_totals', ARRAY[2500, 99], 'event_id', gen_random_uuid(), 'event_owner', ${USER},
       'event_subject', gen_random_uuid()`,
    ),
  };
}

/**
 * pgbench takes every `:name` for a variable, in a string literal too (a format's `HH24:MI`):
 * those colons are spelt chr(58), which PostgreSQL folds back into the constant when it plans.
 */
const colonsSpeltOut = (sql: string) =>
  sql.replace(/'[^']*'/g, (literal) =>
    literal.replace(/:(?=[A-Za-z_\u0080-\uffff])/g, "' || chr(58) || '"),
  );

/** One of reads.sh's orders, by its number (see there). */
const ORDER_ID = "('00000000-0000-4000-8000-' || lpad((1 + :n::int % 1000)::text, 12, '0'))::uuid";
const FIRST_PAGE: Record<string, string> = {
  createdFrom: "'-infinity'",
  createdTo: "'infinity'",
  status: 'NULL',
  afterCreatedAt: 'NULL',
  afterId: 'NULL',
  limit: '21',
};

const dir = process.argv[2];
const create = statement('orders.sql', 'OrdersRepository.create (with Idempotency-Key)');
const script = (sql: string) => `\\set k random(1, 1000000000000)\n${sql}\n`;
writeFileSync(join(dir, 'create.sql'), script(create));
for (const cte of ['order_created_event', 'inserted_items'])
  writeFileSync(join(dir, `create-without-${cte}.sql`), script(without(create, cte)));
writeFileSync(join(dir, 'create-without-claim-checks.sql'), script(withoutClaimChecks(create)));
// `run.sh batch`: the batched form, 5 and 10 creates a statement (src/idempotency/batched-claims.ts).
const MANY = 'OrdersRepository.create (many, with Idempotency-Keys)';
for (const n of [5, 10])
  writeFileSync(
    join(dir, `create-many-${n}.sql`),
    script(statement('orders.sql', MANY, manyValues(n))),
  );
writeFileSync(
  join(dir, 'sequence.sql'),
  `${statement('events.sql', 'EventsRepository.sequence')}\n`,
);
// The service's batch (src/events/event-sequencer.ts), for `run.sh move`.
writeFileSync(
  join(dir, 'sequence-100.sql'),
  `${statement('events.sql', 'EventsRepository.sequence', { batch: '100' })}\n`,
);
// `run.sh reads`: what an order's get and a page of the list cost PostgreSQL.
writeFileSync(
  join(dir, 'get.sql'),
  `\\set n random(1, 1000)\n${colonsSpeltOut(statement('orders.sql', 'OrdersRepository.findOwnedJson', { id: ORDER_ID }))}\n`,
);
writeFileSync(
  join(dir, 'list.sql'),
  `${colonsSpeltOut(statement('orders.sql', 'OrdersRepository.listOwnedJson', FIRST_PAGE))}\n`,
);
