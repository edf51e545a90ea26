import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { measure, Target } from './measure';
import { hold, Process, release } from './processes';
import { fillKeys } from './scale';
import { walPosition, walSince } from './wal';

/** Expired keys loaded for each of the two sweeps (idle, then under create load). */
const EXPIRED = Number(process.env.BENCH_CAPACITY_EXPIRED ?? 200_000);
/** Length of the create load that runs beside the second sweep. */
const LOAD_SECONDS = Number(process.env.BENCH_CAPACITY_SWEEP_SECONDS ?? 20);
const SAMPLE_EVERY_MS = 200;
const GIVE_UP_MS = 600_000;

/** The sweeper's own count of what it deleted, from the process's /metrics. */
async function sweptSoFar(service: Process): Promise<number> {
  const text = await (await fetch(`${service.baseUrl}/metrics`)).text();
  const line = /^idempotency_events_total\{event="expired_deleted"\} (\d+)/m.exec(text);
  return line ? Number(line[1]) : 0;
}

interface Sample {
  ms: number;
  swept: number;
}

/**
 * Samples the sweeper's counter until `count` more keys went, or `until` settles; the rate is
 * taken from the first sample that saw it move to the last one.
 */
async function watchSweep(service: Process, count: number, until: Promise<unknown> | null) {
  const base = await sweptSoFar(service);
  let ended = false;
  const end = () => void (ended = true);
  until?.then(end, end);
  let first: Sample | null = null;
  let last: Sample = { ms: performance.now(), swept: 0 };
  const started = last.ms;
  while (last.swept < count && !ended && last.ms - started < GIVE_UP_MS) {
    await sleep(SAMPLE_EVERY_MS);
    last = { ms: performance.now(), swept: (await sweptSoFar(service)) - base };
    if (!first && last.swept > 0) first = last;
  }
  const seconds = first ? (last.ms - first.ms) / 1000 : 0;
  const keys = first ? last.swept - first.swept : 0;
  return { swept: last.swept, keysPerSecond: seconds > 0 ? Math.round(keys / seconds) : 0 };
}

/**
 * Loads `EXPIRED` expired keys (the scale phase's bulk fill, vacuumed and checkpointed) while the
 * service is held, then lets its sweeper (batches of 500, 50 ms apart) drain them, with `load`
 * running creates at 10 connections meanwhile when given.
 */
async function sweepPass(db: Client, service: Process, body: string, load: Target | null) {
  hold(service);
  try {
    await fillKeys(db, EXPIRED, true, body);
  } finally {
    release(service);
  }
  const wal = await walPosition(db);
  const creates = load ? measure(load, 10, LOAD_SECONDS) : null;
  const watched = await watchSweep(service, EXPIRED, creates);
  const walBytes = await walSince(db, wal);
  const m = await creates;
  const batches = watched.keysPerSecond / 500;
  return {
    expiredKeys: EXPIRED,
    ...watched,
    // Each batch is its statement plus the sweeper's 50 ms pause: what is left is the DELETE.
    msPerBatchBesidesPause: batches > 0 ? Math.round((1000 / batches - 50) * 10) / 10 : null,
    ...(m
      ? { createsPerSecond: Math.round(m.rps), createP99Ms: m.p99 }
      : { walBytesPerKey: Math.round(walBytes / Math.max(1, watched.swept)) }),
  };
}

/** A plain VACUUM of the keys table after a sweep: how long reclaiming the deleted rows takes. */
async function timedVacuum(db: Client) {
  await sleep(1_500); // backends report their counts to the statistics at most once a second
  await db.query('SELECT pg_stat_clear_snapshot()');
  const dead = Number(
    (
      await db.query<{ n: string }>(
        `SELECT n_dead_tup AS n FROM pg_stat_user_tables WHERE relname = 'idempotency_keys'`,
      )
    ).rows[0].n,
  );
  const wal = await walPosition(db);
  const started = performance.now();
  await db.query('VACUUM idempotency_keys');
  const seconds = (performance.now() - started) / 1000;
  return {
    deadRows: dead,
    walBytesPerRow: Math.round((await walSince(db, wal)) / Math.max(1, dead)),
    seconds: Math.round(seconds * 100) / 100,
    rowsPerSecond: Math.round(dead / seconds),
  };
}

/** The sweeper's real delete rate: idle, the VACUUM that follows, then beside creates. */
export async function measureSweep(db: Client, service: Process, create: Target, body: string) {
  const idle = await sweepPass(db, service, body, null);
  const vacuumAfterSweep = await timedVacuum(db);
  const underCreateLoad = await sweepPass(db, service, body, create);
  return { idle, vacuumAfterSweep, underCreateLoad };
}
