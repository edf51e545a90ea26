import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { Statement } from '../src/database/statement';
import { EventsRepository } from '../src/events/events.repository';
import { IdempotencyRepository } from '../src/idempotency/idempotency.repository';
import { connectToMigratedDatabase, MigratedDatabase } from './support/test-database';

const ROWS = 20_000;

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

/** Every plan node's type (with its index, or a sequential scan's table), depth first. */
function nodeTypes(plan: PlanNode): string[] {
  const on = plan['Index Name'] ?? (plan['Node Type'] === 'Seq Scan' && plan['Relation Name']);
  const self = on ? `${plan['Node Type']} ${on}` : plan['Node Type'];
  return [self, ...(plan.Plans ?? []).flatMap(nodeTypes)];
}

/** The first Limit node, depth first: where a sweep picks its batch. */
function limitOf(plan: PlanNode): PlanNode | undefined {
  if (plan['Node Type'] === 'Limit') return plan;
  for (const child of plan.Plans ?? []) {
    const found = limitOf(child);
    if (found) return found;
  }
  return undefined;
}

/**
 * The sweeps run every minute over tables that hold a day of keys or a week of events, where
 * nothing may have expired: each must find its batch through its index, not by reading the whole
 * table. Here the tables hold rows none of which has expired and no statistics (a new table before
 * autovacuum analyzes it), where PostgreSQL guesses a third of the rows match; both the custom plan
 * and the generic one that a prepared statement may switch to are checked.
 */
describe('the sweeps of expired keys and events', () => {
  let database: MigratedDatabase;
  let db: Client;
  beforeAll(async () => {
    database = await connectToMigratedDatabase();
    db = database.db;
    for (const table of ['idempotency_keys', 'events'])
      await db.query(`ALTER TABLE ${table} SET (autovacuum_enabled = false)`);
    const userId = randomUUID();
    await db.query(
      `INSERT INTO users (id, email, email_normalized, name, password_hash, created_at, updated_at)
       VALUES ($1, 'a@example.com', 'a@example.com', 'A', 'x', now(), now())`,
      [userId],
    );
    await db.query(
      `INSERT INTO idempotency_keys (caller, method, route, key, fingerprint, response_status,
                                     response_headers, response_body, created_at, expires_at)
       SELECT $1, 'POST', '/api/orders', n::text, '\\x00', 201, '{}', repeat('x', 900), now(),
              now() + interval '1 day' + n * interval '1 ms'
         FROM generate_series(1, $2::integer) AS n`,
      [userId, ROWS],
    );
    await db.query(
      `INSERT INTO events (id, user_id, type, subject, time, data, position)
       SELECT gen_random_uuid(), $1, 'order.created', gen_random_uuid(),
              now() - n * interval '1 ms', '{}', n
         FROM generate_series(1, $2::integer) AS n`,
      [userId, ROWS],
    );
    // A week of the retention's checkpoints, one a minute: what it reads for the published.
    await db.query(
      `INSERT INTO event_relay_checkpoints (taken_at, published_through)
       SELECT now() - n * interval '1 minute', $1::integer - n FROM generate_series(1, 10080) AS n`,
      [ROWS],
    );
  });
  afterAll(() => database?.stop());

  /**
   * The plan of `statement` prepared and run under `mode`: every node, and those of its Limit and
   * below (how it picks its batch).
   */
  async function planOf(statement: Statement, values: unknown[], mode: string) {
    await db.query(`SET plan_cache_mode = ${mode}`);
    await db.query(`PREPARE sweep AS ${statement.text}`);
    try {
      const placeholders = values.map((value) => db.escapeLiteral(String(value))).join(', ');
      const { rows } = await db.query(`EXPLAIN (FORMAT JSON) EXECUTE sweep(${placeholders})`);
      const plan: PlanNode = rows[0]['QUERY PLAN'][0].Plan;
      const limit = limitOf(plan);
      if (!limit) throw new Error(`${statement.name}: no Limit in its plan`);
      return { all: nodeTypes(plan), batch: nodeTypes(limit) };
    } finally {
      await db.query('DEALLOCATE sweep');
    }
  }

  const SWEEPS = [
    {
      statements: IdempotencyRepository.statements,
      name: 'IdempotencyRepository.deleteExpired',
      what: 'expired keys',
      values: { batchSize: 500 },
      index: 'idempotency_keys_expires_at_idx',
    },
    ...[true, false].map((requirePublished) => ({
      statements: EventsRepository.statements,
      name: 'EventsRepository.deleteExpired',
      what: requirePublished ? 'old published events (with NATS)' : 'old events (without NATS)',
      values: { retentionMs: 7 * 86_400_000, requirePublished, batch: 500 },
      index: 'events_time_idx',
    })),
  ];
  const cases = SWEEPS.flatMap((sweep) =>
    ['force_custom_plan', 'force_generic_plan'].map((mode) => ({ ...sweep, mode })),
  );

  it.each(cases)(
    'the sweep of $what reads $index, never the whole table ($mode)',
    async ({ statements, name, values, index, mode }) => {
      const statement = statements.find((candidate) => candidate.name === name)!;
      const bound = statement.params.map((param) => values[param as keyof typeof values]);
      expect(bound).not.toContain(undefined);
      const { all, batch } = await planOf(statement, bound, mode);
      expect(batch).toContain(`Index Scan ${index}`);
      expect(all.filter((node) => node.startsWith('Seq Scan'))).toEqual([]);
      // The index's order: no sort of every old row before the Limit.
      expect(batch.filter((node) => node.endsWith('Sort'))).toEqual([]);
    },
  );
});
