import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { measureSweep } from './capacity-sweep';
import { fixture, Fixture, ORDER } from './fixture';
import { measure, measureAmount, RATE, Target, WARMUP_SECONDS } from './measure';
import { cpuMicros, pgCpu, pgCpuSpent } from './proc-cpu';
import { benchDatabase, databaseLabel, Process, startServiceAndReplica } from './processes';
import { walPosition } from './wal';

/** Requests per measured pass; CPU time is divided by what the pass did. */
const REQUESTS = Number(process.env.BENCH_CAPACITY_REQUESTS ?? 20_000);
const CONNECTIONS = 10;
const TABLES = ['idempotency_keys', 'orders', 'order_items', 'events_pending', 'events'];

/** The mean number of this database's connections busy (not idle) while `work` runs. */
async function busyConnections<T>(url: string, work: Promise<T>) {
  const sampler = new Client({ connectionString: url });
  await sampler.connect();
  let done = false;
  const stop = () => void (done = true);
  work.then(stop, stop);
  const counts: number[] = [];
  while (!done) {
    const { rows } = await sampler.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND backend_type = 'client backend'
          AND pid <> pg_backend_pid() AND state <> 'idle'`,
    );
    counts.push(rows[0].n);
    await sleep(20);
  }
  await sampler.end();
  return counts.reduce((sum, n) => sum + n, 0) / Math.max(1, counts.length);
}

const round = (value: number, digits = 0) => Number(value.toFixed(digits));

/**
 * One pass of REQUESTS requests: the CPU the process answering them and PostgreSQL spent, per
 * operation (`count` says how many operations the pass did: 2xx answers unless given).
 */
async function cpuPer(
  url: string,
  db: Client,
  at: Process,
  target: Target,
  count?: () => Promise<number>,
) {
  const node0 = cpuMicros(at.child.pid!);
  const pg0 = await pgCpu(db);
  const counted0 = await count?.();
  const started = performance.now();
  const pass = measureAmount(target, CONNECTIONS, REQUESTS).then((run) => ({
    ...run,
    seconds: (performance.now() - started) / 1000, // autocannon's own is whole seconds
  }));
  const busy = await busyConnections(url, pass);
  const run = await pass;
  const node = cpuMicros(at.child.pid!) - node0;
  const pg = pgCpuSpent(pg0, await pgCpu(db));
  const ops = count ? (await count()) - counted0! : run.ok;
  const rps = ops / run.seconds;
  return {
    operations: ops,
    rps: round(rps),
    p50Ms: run.p50,
    p99Ms: run.p99,
    meanMs: round(run.meanMs, 2),
    nodeMicros: round(node / ops),
    pgMicros: round(pg.backendsMicros / ops),
    pgClusterMicros: round(pg.clusterMicros / ops),
    busyConnections: round(busy, 2),
    connectionHeldMs: round((busy / rps) * 1000, 2),
    otherDatabasesCommits: pg.otherCommits,
    non2xx: run.non2xx,
  };
}

/** Rows and sizes of the tables a create writes, and the WAL position. */
async function storage(db: Client) {
  const tables: Record<string, { rows: number; heap: number; indexes: number; total: number }> = {};
  for (const table of TABLES) {
    const { rows } = await db.query<Record<string, string>>(
      `SELECT (SELECT count(*) FROM ${table}) AS rows, pg_relation_size($1) AS heap,
              pg_indexes_size($1) AS indexes, pg_total_relation_size($1) AS total`,
      [table],
    );
    tables[table] = {
      rows: Number(rows[0].rows),
      heap: Number(rows[0].heap),
      indexes: Number(rows[0].indexes),
      total: Number(rows[0].total),
    };
  }
  return { tables, lsn: await walPosition(db) };
}

type Storage = Awaited<ReturnType<typeof storage>>;

/** Per create: rows and bytes of each table (heap, indexes, with TOAST), and WAL bytes. */
async function perCreate(db: Client, before: Storage, after: Storage) {
  const creates = after.tables.orders.rows - before.tables.orders.rows;
  const per = (a: number, b: number) => round((a - b) / creates, 2);
  const tables = Object.fromEntries(
    TABLES.map((name) => {
      const [a, b] = [after.tables[name], before.tables[name]];
      return [
        name,
        {
          rows: per(a.rows, b.rows),
          heapBytes: per(a.heap, b.heap),
          indexBytes: per(a.indexes, b.indexes),
          totalBytes: per(a.total, b.total),
        },
      ];
    }),
  );
  const { rows } = await db.query<{ wal: string }>('SELECT pg_wal_lsn_diff($1, $2) AS wal', [
    after.lsn,
    before.lsn,
  ]);
  return {
    creates,
    tables,
    walBytes: round(Number(rows[0].wal) / creates),
    ...(await answers(db)),
  };
}

/** What a stored order answer and an order's event weigh, as PostgreSQL stores them. */
async function answers(db: Client) {
  const { rows } = await db.query<Record<string, number>>(
    `SELECT (SELECT avg(octet_length(response_body) + octet_length(response_headers::text))::int
               FROM idempotency_keys WHERE route = '/api/orders') AS "storedAnswerBytes",
            (SELECT avg(pg_column_size(k.*))::int FROM idempotency_keys k
              WHERE route = '/api/orders') AS "keyRowBytes",
            (SELECT avg(pg_column_size(e.*))::int FROM events e) AS "eventRowBytes"`,
  );
  return rows[0];
}

function targets(service: Process, replica: Process, f: Fixture) {
  const post = { method: 'POST' as const, body: ORDER, headers: f.auth };
  const orders = `${service.baseUrl}/api/orders`;
  return {
    create: { ...post, name: 'create', url: orders, key: 'unique' as const },
    replayMemory: { ...post, name: 'replay (memory)', url: orders, key: f.replayKeys },
    replayTable: {
      ...post,
      name: 'replay (table)',
      url: `${replica.baseUrl}/api/orders`,
      key: f.replayKeys,
    },
    get: { name: 'get by id', url: `${orders}/${f.orderId}`, method: 'GET', headers: f.auth },
  } satisfies Record<string, Target>;
}

/** CPU per operation of each workload (warmed up first); the create pass also gives bytes. */
async function measureCpu(url: string, db: Client, service: Process, replica: Process, f: Fixture) {
  const t = targets(service, replica, f);
  const orders = async () => Number((await db.query('SELECT count(*) AS n FROM orders')).rows[0].n);
  await measure(t.create, CONNECTIONS, WARMUP_SECONDS);
  const before = await storage(db);
  const create = await cpuPer(url, db, service, t.create, orders);
  await sleep(1_000); // what autocannon dropped at its stop still commits
  const bytes = await perCreate(db, before, await storage(db));
  const cpu: Record<string, typeof create> = { create };
  for (const [name, target, at] of [
    ['replay (memory)', t.replayMemory, service],
    ['replay (table)', t.replayTable, replica],
    ['get by id', t.get, service],
  ] as const) {
    await measure(target, CONNECTIONS, WARMUP_SECONDS);
    cpu[name] = await cpuPer(url, db, at, target);
  }
  return { cpu, bytes, create, sweepTarget: t.create };
}

async function main() {
  // Its figures are rates and what they cost at full load: a fixed rate would write wrong ones.
  if (RATE) throw new Error('bench:capacity measures at full load: unset BENCH_RATE');
  const database = await benchDatabase();
  const { service, replica } = await startServiceAndReplica(database.url);
  const db = new Client({ connectionString: database.url });
  await db.connect();
  let stopped = false;
  try {
    const f = await fixture(service);
    const measured = await measureCpu(database.url, db, service, replica, f);
    await replica.stop(); // the sweep is the service's alone
    stopped = true;
    const sweep = await measureSweep(db, service, measured.sweepTarget, f.orderBody);
    report(await databaseLabel(db), measured, sweep);
  } finally {
    await db.end();
    if (!stopped) await replica.stop();
    await service.stop();
    await database.stop();
  }
}

function report(
  database: string,
  measured: Awaited<ReturnType<typeof measureCpu>>,
  sweep: Awaited<ReturnType<typeof measureSweep>>,
) {
  const { create } = measured;
  const summary = {
    machine: `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${database}`,
    date: new Date().toISOString(),
    requestsPerPass: REQUESTS,
    connections: CONNECTIONS,
    cpuPerOperation: measured.cpu,
    createsPerCore: {
      node: round(1e6 / create.nodeMicros),
      postgres: round(1e6 / create.pgMicros),
      postgresWholeServer: round(1e6 / create.pgClusterMicros),
    },
    perCreate: measured.bytes,
    sweep,
  };
  const json = `${JSON.stringify(summary, null, 2)}\n`;
  console.log(json);
  console.log(
    '| operation | req/s | p50 ms | Node µs | PostgreSQL µs (server µs) | connection held ms |',
  );
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const [name, m] of Object.entries(measured.cpu))
    console.log(
      `| ${name} | ${m.rps} | ${m.p50Ms} | ${m.nodeMicros} | ${m.pgMicros} (${m.pgClusterMicros}) | ${m.connectionHeldMs} |`,
    );
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'capacity.json'), json);
  console.log('wrote bench/results/capacity.json');
}

main().catch((error: Error) => {
  console.error(`bench:capacity failed: ${error.stack ?? error.message}`);
  process.exit(1);
});
