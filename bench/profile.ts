/**
 * `npm run bench:profile`: where a create's CPU goes. The service from dist/ runs with
 * `cpu-profiler.js` preloaded (V8's CPU profiler, as `--cpu-prof` would, and a tally of garbage
 * collections), started and stopped by signals around one pass of creates with fresh keys (or,
 * with BENCH_PROFILE_REQUEST=get, GETs of one order; with =replay, retries of completed keys
 * read from the table) at BENCH_PROFILE_CONNECTIONS for BENCH_SECONDS; then summarised: self
 * time by package and by function, and the inclusive time of the frames a request passes through
 * (a text flame graph).
 * With BENCH_PROFILE_HEAP=1, V8's sampling heap profiler instead of its CPU profiler: the bytes
 * each frame allocated per request, collected objects included.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { Fixture, fixture, ORDER } from './fixture';
import { Client } from 'pg';
import { measure, measureDatabaseCpu, SECONDS, Target } from './measure';
import { waitFor } from '../test/support/wait';
import { benchDatabase, Process, startService } from './processes';
import { summarise, summariseAllocations } from './profile-summary';

const CONNECTIONS = Number(process.env.BENCH_PROFILE_CONNECTIONS ?? 10);
/**
 * `BENCH_PROFILE_REQUEST`: `create` (fresh keys, the default), `get` (one order by id) or `replay`
 * (retries of the fixture's completed keys at a service that keeps no answers in memory, so each
 * is read from the table, as at a replica that did not write it).
 */
const REQUEST =
  (['get', 'replay'] as const).find((r) => r === process.env.BENCH_PROFILE_REQUEST) ?? 'create';
/** `BENCH_PROFILE_CPU=0`: the garbage collections only, without the profiler's own cost. */
const PROFILING = process.env.BENCH_PROFILE_CPU !== '0';
/** `BENCH_PROFILE_HEAP=1`: what a request allocates, rather than where its CPU time goes. */
const ALLOCATIONS = process.env.BENCH_PROFILE_HEAP === '1';

async function main() {
  const database = await benchDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'order-service-profile-'));
  const service = await startService(database.url, {
    WORKER_CONCURRENCY: '0',
    NODE_OPTIONS: `--require ${join(__dirname, 'cpu-profiler.js')}`,
    CPU_PROFILE_DIR: dir,
    CPU_PROFILE: ALLOCATIONS ? 'heap' : PROFILING ? '1' : '0',
    ...(REQUEST === 'replay' ? { IDEMPOTENCY_MEMORY: '0' } : {}),
  });
  const db = new Client({ connectionString: database.url });
  await db.connect();
  measureDatabaseCpu(db);
  let requests: number;
  try {
    requests = await profiledPass(service, db);
    await waitFor('the profile to be written', () => existsSync(written(dir, '.gc.json')));
  } finally {
    await db.end();
    await service.stop();
    await database.stop();
  }
  report(dir, requests);
}

/** The warm-up, then the measured pass between the two signals, and its figures. */
async function profiledPass(service: Process, db: Client) {
  const target = profiledTarget(service, await fixture(service));
  await measure(target, CONNECTIONS, 2); // warm-up, left out of the profile
  await sleep(1_100); // busy backends send their counters at most once a second
  const before = await databaseWork(db);
  service.child.kill('SIGUSR2'); // starts the profiler and the tally of collections
  const measured = await measure(target, CONNECTIONS, SECONDS);
  service.child.kill('SIGUSR2'); // stops them: the profile is the pass and nothing else
  await sleep(1_100);
  const work = perRequest(before, await databaseWork(db), measured.rps * SECONDS);
  const profiler = ALLOCATIONS ? 'heap profiler' : PROFILING ? 'profiler' : '';
  const cpu = `service ${measured.cpuUs.toFixed(0)}${profiler ? ` (with the ${profiler} running)` : ''}, PostgreSQL ${measured.pgCpuUs.toFixed(0)}`;
  console.log(
    `${REQUEST} @${CONNECTIONS}: ${measured.rps.toFixed(0)} req/s, p99 ${measured.p99} ms; ` +
      `CPU µs per request: ${cpu}; per request (about): ${work}`,
  );
  return measured.rps * SECONDS;
}

/** Creates with fresh keys, GETs of the fixture's last order, or retries of its keys. */
function profiledTarget(service: Process, f: Fixture): Target {
  const orders = `${service.baseUrl}/api/orders`;
  const answering = { headers: f.auth, pid: service.child.pid };
  if (REQUEST === 'get')
    return { name: 'get', url: `${orders}/${f.orderId}`, method: 'GET', ...answering };
  if (REQUEST === 'replay')
    return {
      name: 'replay',
      url: orders,
      method: 'POST',
      body: ORDER,
      key: f.replayKeys,
      ...answering,
    };
  return { name: 'create', url: orders, method: 'POST', body: ORDER, key: 'unique', ...answering };
}

/** The file of `dir` ending in `suffix` (the service's pid comes first). */
const written = (dir: string, suffix: string) =>
  join(dir, readdirSync(dir).find((name) => name.endsWith(suffix)) ?? `missing${suffix}`);

function report(dir: string, requests: number) {
  const collections = JSON.parse(readFileSync(written(dir, '.gc.json'), 'utf8'));
  console.log(`garbage collections in the pass: ${gcSummary(collections)}\n`);
  if (ALLOCATIONS) {
    const profile = JSON.parse(readFileSync(written(dir, '.heapprofile'), 'utf8'));
    console.log(`heap profile: ${written(dir, '.heapprofile')}\n`);
    return console.log(summariseAllocations(profile, requests));
  }
  if (!PROFILING) return;
  console.log(`profile: ${written(dir, '.cpuprofile')}\n`);
  console.log(summarise(JSON.parse(readFileSync(written(dir, '.cpuprofile'), 'utf8'))));
}

/** The database's transaction and row counters (pg_stat_database), read afresh. */
async function databaseWork(db: Client): Promise<Record<string, number>> {
  await db.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await db.query<Record<string, string>>(
    `SELECT xact_commit AS commits, tup_inserted AS inserted, tup_updated AS updated, blks_hit + blks_read AS blocks
       FROM pg_stat_database WHERE datname = current_database()`,
  );
  return Object.fromEntries(Object.entries(rows[0]).map(([name, value]) => [name, Number(value)]));
}

/** Approximate: an idle backend may send its last second's counters up to 10 s later. */
const perRequest = (
  before: Record<string, number>,
  after: Record<string, number>,
  requests: number,
) =>
  Object.keys(before)
    .map((name) => `${name} ${((after[name] - before[name]) / requests).toFixed(2)}`)
    .join(', ');

type Tally = { count: number; totalMs: number; maxMs: number };
const gcSummary = (collections: Record<string, Tally>) =>
  Object.entries(collections)
    .map(
      ([kind, t]) =>
        `${kind} ${t.count}× (${t.totalMs.toFixed(0)} ms, longest ${t.maxMs.toFixed(1)} ms)`,
    )
    .join('; ');

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
