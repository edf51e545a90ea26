import 'reflect-metadata';
import { resolve } from 'node:path';
import { Client } from 'pg';
import { compare, Measured, measureDatabaseCpu, ratioOf, SECONDS, Target } from './measure';
import { Fixture, fixture, multipart, ORDER, retryAll } from './fixture';
import { benchDatabase, Process, startService } from './processes';

/**
 * `npm run bench:ab -- <other checkout>`: this build (A) against another checkout's build (B,
 * built there with `npm run build`), on one database, each workload run alternately A, B, A, B
 * so that machine noise falls on both, in two rounds: A's processes started (and measured) first,
 * then, anew, B's, as the side started first measured differently (bench/README). Prints each round's A/B per
 * workload (above 1, A is faster) and each side's CPU µs per request, its own and PostgreSQL's
 * (/proc: the server must run here), then the geometric mean of the two rounds' A/B.
 * `BENCH_AB_ONLY=create,get` picks workloads.
 */
const CONNECTIONS = [10, 50];

interface Side {
  name: string;
  service: Process;
  /** Keeps no answers in memory, so every retry reads the table. */
  replica: Process;
}

async function side(name: string, databaseUrl: string, root?: string): Promise<Side> {
  const service = await startService(databaseUrl, {}, root);
  try {
    const replica = await startService(databaseUrl, { IDEMPOTENCY_MEMORY: '0' }, root);
    return { name, service, replica };
  } catch (error) {
    await service.stop();
    throw error;
  }
}

/** A 1 MiB text file, as bench/run.ts uploads it. */
const UPLOAD = multipart(
  Buffer.alloc(1024 * 1024, 'order service benchmark upload\n'),
  'ab.txt',
  'text/plain',
);

function workloads(s: Side, auth: Record<string, string>, keys: string[], orderId: string) {
  const base = { headers: auth, pid: s.service.child.pid };
  const retries = { ...base, method: 'POST' as const, body: ORDER, key: keys };
  const orders = `${s.service.baseUrl}/api/orders`;
  return {
    create: {
      ...base,
      name: `${s.name} create`,
      url: orders,
      method: 'POST',
      body: ORDER,
      key: 'unique',
    },
    replay: { ...retries, name: `${s.name} replay`, url: orders },
    'replay-table': {
      ...retries,
      name: `${s.name} replay (table)`,
      url: `${s.replica.baseUrl}/api/orders`,
      pid: s.replica.child.pid,
    },
    get: { ...base, name: `${s.name} get`, url: `${orders}/${orderId}`, method: 'GET' },
    list: { ...base, name: `${s.name} list`, url: `${orders}?limit=20`, method: 'GET' },
    // What every request pays before any work of its own: a public route called without a token.
    'no-op': {
      ...base,
      headers: {},
      name: `${s.name} no-op`,
      url: `${s.service.baseUrl}/health/live`,
      method: 'GET',
    },
    upload: {
      ...base,
      name: `${s.name} upload`,
      url: `${s.service.baseUrl}/api/files`,
      method: 'POST',
      body: UPLOAD.body,
      headers: { ...auth, 'Content-Type': UPLOAD.contentType },
      key: 'unique',
    },
  } satisfies Record<string, Target>;
}

/**
 * Each side creates a fixture of its own, then retries both fixtures' keys once, so both builds
 * have served the same requests and remember the same answers before the first pass; A's
 * fixture is the one measured.
 */
async function fixtureServedAlike(a: Side, b: Side): Promise<Fixture> {
  const fa = await fixture(a.service);
  const fb = await fixture(b.service);
  for (const s of [a, b]) for (const f of [fa, fb]) await retryAll(s.service, f);
  return fa;
}

/** A/B of the medians, and the spread of the alternated pairs of passes. */
function ratio(a: Measured, b: Measured): string {
  const { ratio: value, low, high } = ratioOf(a, b);
  return `${value.toFixed(3)} (passes ${low.toFixed(3)}-${high.toFixed(3)})`;
}
/** The service's CPU per request, then PostgreSQL's. */
const cpu = (m: Measured) => `${Math.round(m.cpuUs)} + PG ${Math.round(m.pgCpuUs)}`;

type Workload = keyof ReturnType<typeof workloads>;
/** Per workload and connections (`get @10`): each round's A/B of medians, in the order run. */
type Ratios = Map<string, number[]>;

/**
 * One round: both sides started (`first` first), every chosen workload compared and printed, all
 * four processes stopped (on a failure too).
 */
async function round(databaseUrl: string, other: string, first: 'A' | 'B', ratios: Ratios) {
  const start = (name: 'A' | 'B') => side(name, databaseUrl, name === 'B' ? other : undefined);
  const started: Side[] = [];
  try {
    started.push(await start(first));
    started.push(await start(first === 'A' ? 'B' : 'A'));
    const [a, b] = first === 'A' ? started : [started[1], started[0]];
    const f = await fixtureServedAlike(a, b);
    const wa = workloads(a, f.auth, f.replayKeys, f.orderId);
    const wb = workloads(b, f.auth, f.replayKeys, f.orderId);
    const only = process.env.BENCH_AB_ONLY?.split(',');
    for (const connections of CONNECTIONS) {
      for (const name of Object.keys(wa) as Workload[]) {
        if (only && !only.includes(name)) continue;
        // The side started first is also measured first in each pair of passes.
        const pair = first === 'A' ? [wa[name], wb[name]] : [wb[name], wa[name]];
        const m = await compare(pair, connections);
        const [ma, mb] = [m[wa[name].name], m[wb[name].name]];
        const key = `${name} @${connections}`;
        ratios.set(key, [...(ratios.get(key) ?? []), ma.rps / mb.rps]);
        console.log(
          `${key}, ${first} started first: A ${Math.round(ma.rps)} req/s (p99 ${ma.p99} ms), ` +
            `B ${Math.round(mb.rps)} req/s (p99 ${mb.p99} ms), A/B ${ratio(ma, mb)}, non-2xx ${ma.non2xx}/${mb.non2xx}; ` +
            `CPU µs/req A ${cpu(ma)} / B ${cpu(mb)}`,
        );
      }
    }
  } finally {
    for (const s of started) await Promise.all([s.service.stop(), s.replica.stop()]);
  }
}

async function main(other: string) {
  const database = await benchDatabase();
  const db = new Client({ connectionString: database.url });
  await db.connect();
  measureDatabaseCpu(db);
  const ratios: Ratios = new Map();
  console.log(`A: this build; B: ${other}; ${SECONDS} s passes, medians of alternate runs`);
  try {
    await round(database.url, resolve(other), 'A', ratios);
    await round(database.url, resolve(other), 'B', ratios);
  } finally {
    await db.end();
    await database.stop();
  }
  // The geometric mean: a lean towards the side started first weighs on each side once.
  for (const [key, [aFirst, bFirst]] of ratios)
    console.log(`${key}: A/B ${Math.sqrt(aFirst * bFirst).toFixed(3)} over both rounds`);
}

main(process.argv[2] ?? '').catch((error: Error) => {
  console.error(`bench:ab failed: ${error.stack ?? error.message}`);
  process.exit(1);
});
