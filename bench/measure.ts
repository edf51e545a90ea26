import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import { cpuMicros, pgCpu, pgCpuSpent } from './proc-cpu';

export const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
export const WARMUP_SECONDS = 2;
/**
 * `BENCH_REPETITIONS` (default 3): alternated passes per target. On shared cores one pass can
 * differ from the next by a tenth or more; more repetitions steady the medians, and every ratio is
 * printed with the spread of its passes.
 */
export const REPETITIONS = positiveInteger(
  process.env.BENCH_REPETITIONS ?? '3',
  'BENCH_REPETITIONS',
);

/**
 * `BENCH_RATE`: every pass sends this many requests a second in all (autocannon's `overallRate`)
 * rather than as many as its connections can. Req/s ratios then read 1.0 by construction; what
 * it is for is CPU per request compared at one rate, since a process that sleeps between
 * requests pays more for each (every wake-up has fewer requests to share it).
 */
export const RATE = process.env.BENCH_RATE
  ? positiveInteger(process.env.BENCH_RATE, 'BENCH_RATE')
  : null;

function positiveInteger(text: string, name: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number ≥ 1`);
  return value;
}

export interface Target {
  name: string;
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string | Buffer;
  /** Idempotency-Key per request: a fresh UUID, or one drawn from a pool of completed keys. */
  key?: 'unique' | string[];
  /** A body of its own for every request (sign-up needs a new email each time). */
  bodyPerRequest?: () => string;
  /** Run by `compare` before the target's warm-up and after its measured pass: the set-up it needs. */
  before?: () => Promise<void>;
  after?: () => Promise<void>;
  /** The answering process: its CPU time (/proc) per answered request is measured too. */
  pid?: number;
}

export interface Measured {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** The answering process's user + system CPU µs per answered request (NaN: not measured). */
  cpuUs: number;
  /** PostgreSQL's (the whole server's) CPU µs per answered request (NaN: not measured). */
  pgCpuUs: number;
  /** Each alternated pass's req/s and p99, in the order run (medians only: `compare`'s results). */
  passes?: Pick<Measured, 'rps' | 'p99'>[];
}

let database: Client | null = null;

/**
 * From now on every pass also measures PostgreSQL's CPU per request, read from /proc through
 * `db` (its server must run on this machine): what a create costs the database besides the
 * process answering it.
 */
export function measureDatabaseCpu(db: Client) {
  database = db;
}

type Request = { headers?: Record<string, string>; body?: string | Buffer };

/** autocannon's per-request hook: a key (fresh or from the pool) and a body of its own. */
function perRequest({ key, bodyPerRequest }: Target) {
  if (!key && !bodyPerRequest) return {};
  const next = key === 'unique' ? randomUUID : () => key![Math.floor(Math.random() * key!.length)];
  return {
    setupRequest: (request: Request) => ({
      ...request,
      ...(key ? { headers: { ...request.headers, 'idempotency-key': next() } } : {}),
      ...(bodyPerRequest ? { body: bodyPerRequest() } : {}),
    }),
  };
}

/** One autocannon pass: pipelining 1, every connection busy for `seconds`. */
export async function measure(
  target: Target,
  connections: number,
  seconds: number,
): Promise<Measured> {
  return (await pass(target, connections, { duration: seconds })).measured;
}

/** A pass of exactly `amount` requests; also how many were answered 2xx and their mean time. */
export async function measureAmount(target: Target, connections: number, amount: number) {
  const { measured, result, latencies } = await pass(target, connections, { amount });
  const meanMs = latencies.reduce((sum, ms) => sum + ms, 0) / Math.max(1, latencies.length);
  return { ...measured, ok: result['2xx'], meanMs };
}

async function pass(
  target: Target,
  connections: number,
  length: { duration: number } | { amount: number },
) {
  if (process.env.BENCH_DEBUG) console.log(`  ${target.name} @${connections}`, length);
  const request = {
    method: target.method,
    headers: target.headers,
    body: target.body,
    ...perRequest(target),
  };
  const cpuBefore = target.pid ? cpuMicros(target.pid) : NaN;
  const pgBefore = database && (await pgCpu(database));
  const { result, latencies } = await timedRun({
    url: target.url,
    connections,
    pipelining: 1,
    ...length,
    ...rateOf(connections),
    requests: [request],
  } as autocannon.Options);
  latencies.sort((a, b) => a - b);
  const measured: Measured = {
    rps: result.requests.average,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    non2xx: result.non2xx,
    errors: result.errors,
    cpuUs: (cpuMicros(target.pid ?? 0) - cpuBefore) / latencies.length,
    pgCpuUs: pgBefore
      ? pgCpuSpent(pgBefore, await pgCpu(database!)).clusterMicros / latencies.length
      : NaN,
  };
  if (RATE && 'duration' in length) warnIfBehind(target, connections, measured.rps);
  return { measured, result, latencies };
}

/** autocannon would quietly open fewer connections than asked for a rate below their number. */
function rateOf(connections: number) {
  if (!RATE) return {};
  if (RATE < connections)
    throw new Error(`BENCH_RATE ${RATE} is below the pass's ${connections} connections`);
  return { overallRate: RATE };
}

/** A target slower than BENCH_RATE runs at its own rate, and its CPU per request with it. */
function warnIfBehind(target: Target, connections: number, rps: number) {
  if (rps < 0.95 * RATE!)
    console.warn(
      `  ${target.name} @${connections}: ${rps.toFixed(0)} req/s, short of BENCH_RATE ${RATE}`,
    );
}

/** One autocannon run, with every response's time: its own percentiles are whole milliseconds. */
function timedRun(options: autocannon.Options) {
  const latencies: number[] = [];
  return new Promise<{ result: autocannon.Result; latencies: number[] }>((resolve, reject) => {
    const instance = autocannon(options, (error: Error | null, result) =>
      error ? reject(error) : resolve({ result, latencies }),
    );
    instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => {
      latencies.push(ms);
    });
  });
}

/** The `fraction` percentile of sorted milliseconds, to 0.1 ms. */
export function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return NaN;
  const value = sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
  return Math.round(value * 10) / 10;
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Alternates the targets (A, B, A, B ...) so machine noise falls on all of them; medians per target. */
export async function compare(
  targets: Target[],
  connections: number,
): Promise<Record<string, Measured>> {
  const runs: Record<string, Measured[]> = Object.fromEntries(targets.map((t) => [t.name, []]));
  for (let repetition = 0; repetition < REPETITIONS; repetition++) {
    for (const target of targets) {
      await target.before?.();
      await measure(target, connections, WARMUP_SECONDS);
      runs[target.name].push(await measure(target, connections, SECONDS));
      await target.after?.();
    }
  }
  return Object.fromEntries(Object.entries(runs).map(([name, list]) => [name, medianOf(list)]));
}

function medianOf(list: Measured[]): Measured {
  return {
    rps: median(list.map((m) => m.rps)),
    p50: median(list.map((m) => m.p50)),
    p99: median(list.map((m) => m.p99)),
    non2xx: list.reduce((sum, m) => sum + m.non2xx, 0),
    errors: list.reduce((sum, m) => sum + m.errors, 0),
    cpuUs: median(list.map((m) => m.cpuUs)),
    pgCpuUs: median(list.map((m) => m.pgCpuUs)),
    passes: list.map(({ rps, p99 }) => ({ rps, p99 })),
  };
}

/**
 * `a`'s req/s (or p99) over `b`'s: the ratio of their medians, and the lowest and highest ratio of
 * passes run side by side (`a`'s nth against `b`'s nth): how far one alternation strays from another.
 */
export function ratioOf(
  a: Measured,
  b: Measured,
  of: 'rps' | 'p99' = 'rps',
): { ratio: number; low: number; high: number } {
  const ratio = a[of] / b[of];
  const pairs = (a.passes ?? []).map((pass, at) => pass[of] / (b.passes?.[at]?.[of] ?? NaN));
  const known = pairs.filter(Number.isFinite);
  if (known.length < 2 || known.length !== pairs.length) return { ratio, low: ratio, high: ratio };
  return { ratio, low: Math.min(...known), high: Math.max(...known) };
}
