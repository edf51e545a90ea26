import { Client } from 'pg';
import { compare, Target } from './measure';
import { BenchReport } from './report';

const FILLER_BATCH = 1_000_000;

/** Adds `count` completed keys of other callers, as a busy service would hold. */
export async function fillKeys(db: Client, count: number, expired: boolean, body: string) {
  const expiresAt = expired ? "now() - interval '1 minute'" : "now() + interval '24 hours'";
  for (let from = 0; from < count; from += FILLER_BATCH) {
    await db.query(
      `INSERT INTO idempotency_keys (caller, method, route, key, fingerprint, response_status, response_headers, response_body, created_at, expires_at)
       SELECT 'filler-' || (g % 100000), 'POST', '/api/orders', $3 || g, '\\x00', 201, '{}', $4, now(), ${expiresAt}
         FROM generate_series($1::int, $2::int) AS g`,
      [from, Math.min(from + FILLER_BATCH, count) - 1, expired ? 'expired-' : 'live-', body],
    );
  }
  // A table that grew over a day has been vacuumed and checkpointed along the way; right after a
  // bulk fill, autovacuum and the checkpointer would instead run through the measured window.
  await db.query('VACUUM (ANALYZE) idempotency_keys');
  // Needs superuser or pg_checkpoint; without it the checkpointer keeps its own schedule.
  await db.query('CHECKPOINT').catch(() => undefined);
}

const keyCount = async (db: Client, where = 'true') =>
  Number((await db.query(`SELECT count(*) AS n FROM idempotency_keys WHERE ${where}`)).rows[0].n);

/**
 * Create and replay p50 with many stored keys, against the same workloads on the table as it was;
 * then create p99 while the sweeper deletes a million expired keys, against create just before.
 */
export async function measureScale(
  db: Client,
  report: BenchReport,
  workloads: { create: Target; replay: Target },
  body: string,
) {
  const liveKeys = Number(process.env.BENCH_SCALE_KEYS ?? 5_000_000);
  const before = await keyCount(db);
  const small = await compare([workloads.create, workloads.replay], 10);
  await fillKeys(db, liveKeys, false, body);
  const large = await compare([workloads.create, workloads.replay], 10);
  report.check('scale: p50 with many stored keys', {
    keysBefore: before,
    keysAfter: await keyCount(db),
    createP50: [small[workloads.create.name].p50, large[workloads.create.name].p50],
    replayP50: [small[workloads.replay.name].p50, large[workloads.replay.name].p50],
    createP50Ratio: large[workloads.create.name].p50 / small[workloads.create.name].p50,
    replayP50Ratio: large[workloads.replay.name].p50 / small[workloads.replay.name].p50,
    goal: '≤ 1.2',
  });
  await measureCleanup(db, report, workloads.create, body);
}

async function measureCleanup(db: Client, report: BenchReport, create: Target, body: string) {
  const expiredKeys = Number(process.env.BENCH_EXPIRED_KEYS ?? 1_000_000);
  const quiet = await compare([create], 10);
  await fillKeys(db, expiredKeys, true, body);
  const expiredAtStart = await keyCount(db, 'expires_at <= now()');
  const sweeping = await compare([create], 10);
  const expiredAtEnd = await keyCount(db, 'expires_at <= now()');
  report.check('scale: create p99 while a million expired keys are swept', {
    expiredAtStart,
    expiredAtEnd,
    createP99: [quiet[create.name].p99, sweeping[create.name].p99],
    createP99Ratio: sweeping[create.name].p99 / quiet[create.name].p99,
    createRps: [quiet[create.name].rps, sweeping[create.name].rps],
    goal: '≤ 1.5, with the sweep running all along (expiredAtEnd > 0 or swept during the window)',
  });
}
