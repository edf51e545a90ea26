import 'reflect-metadata';
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres';
import { openDatabase } from '../src/database/open-database';
import { startReferences } from './references';
import { ratioChart } from './chart';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = 2;
const REPETITIONS = 3;
const CONNECTIONS = [10, 50];
const ORDER = JSON.stringify({
  currency: 'EUR',
  items: [
    { sku: 'BENCH-1', quantity: 2, unitPrice: 1250 },
    { sku: 'BENCH-2', quantity: 1, unitPrice: 99 },
  ],
});

interface Target {
  name: string;
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  uniqueKey?: boolean;
}
interface Measured {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function measure(target: Target, connections: number, seconds: number): Promise<Measured> {
  if (process.env.BENCH_DEBUG)
    console.log(`measuring ${target.name} @${connections} for ${seconds} s`);
  // A per-request setupRequest gives every request its own Idempotency-Key.
  type Request = { headers?: Record<string, string> };
  const fresh = (request: Request) => ({
    ...request,
    headers: { ...request.headers, 'idempotency-key': randomUUID() },
  });
  const options = {
    url: target.url,
    connections,
    pipelining: 1,
    duration: seconds,
    requests: [
      {
        method: target.method,
        headers: target.headers,
        body: target.body,
        ...(target.uniqueKey ? { setupRequest: fresh } : {}),
      },
    ],
  };
  const result = await autocannon(options as autocannon.Options);
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Alternates the targets (A, B, A, B ...) so machine noise falls on all of them; medians per target. */
async function compare(targets: Target[], connections: number): Promise<Record<string, Measured>> {
  const runs: Record<string, Measured[]> = Object.fromEntries(
    targets.map((target) => [target.name, []]),
  );
  for (let repetition = 0; repetition < REPETITIONS; repetition++) {
    for (const target of targets) {
      await measure(target, connections, WARMUP_SECONDS);
      runs[target.name].push(await measure(target, connections, SECONDS));
    }
  }
  return Object.fromEntries(
    Object.entries(runs).map(([name, list]) => [
      name,
      {
        rps: median(list.map((m) => m.rps)),
        p50: median(list.map((m) => m.p50)),
        p99: median(list.map((m) => m.p99)),
        non2xx: list.reduce((s, m) => s + m.non2xx, 0),
        errors: list.reduce((s, m) => s + m.errors, 0),
      },
    ]),
  );
}

async function database(): Promise<{ url: string; stop(): Promise<void> }> {
  if (process.env.DATABASE_URL) {
    const name = `order_service_bench_${Date.now()}`;
    const admin = new Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(process.env.DATABASE_URL);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      stop: async () => {
        const again = new Client({ connectionString: process.env.DATABASE_URL });
        await again.connect();
        await again.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await again.end();
      },
    };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'order-service-bench-'));
  chmodSync(dataDir, 0o755);
  const server = await startEmbeddedPostgres(dataDir, () => undefined);
  return {
    url: server.url,
    stop: async () => (await server.stop(), rmSync(dataDir, { recursive: true, force: true })),
  };
}

async function startService(url: string) {
  const port = 20_000 + Math.floor(Math.random() * 10_000);
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    env: {
      ...process.env,
      DATABASE_URL: url,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      AUTH_RATE_LIMIT: '0',
      NODE_ENV: 'production',
      JWT_SECRET: 'bench-secret-bench-secret-bench-secret!!',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  for (
    let i = 0;
    i < 120 &&
    (await fetch(`${baseUrl}/health/ready`).then(
      (r) => r.status,
      () => 0,
    )) !== 200;
    i++
  )
    await sleep(250);
  return {
    child,
    baseUrl,
    rssMiB: () =>
      Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024,
  };
}

async function main() {
  const db = await database();
  const migrated = await openDatabase(
    { databaseUrl: db.url, databasePoolSize: 2, dataDir: '', databaseConnectTimeoutMs: 5_000 },
    () => undefined,
  );
  await migrated.close();
  const service = await startService(db.url);
  const post = (path: string, body: object, headers: Record<string, string> = {}) =>
    fetch(`${service.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  const credentials = { email: `bench-${randomUUID()}@example.com`, password: 'bench password' };
  const user = (await (await post('/api/users', { ...credentials, name: 'Bench' })).json()) as {
    id: string;
  };
  const { accessToken } = (await (await post('/api/auth/token', credentials)).json()) as {
    accessToken: string;
  };
  const auth = { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'application/json' };
  const seedKey = randomUUID();
  const seeded = (await (
    await post('/api/orders', JSON.parse(ORDER) as object, { ...auth, 'Idempotency-Key': seedKey })
  ).json()) as { id: string };
  const refs = await startReferences(db.url, user.id);
  const admin = new Client({ connectionString: db.url });
  await admin.connect();
  const counts = async () => {
    const { rows } = await admin.query<{ orders: string; keys: string }>(
      `SELECT (SELECT count(*) FROM orders WHERE user_id = $1) AS orders,
              (SELECT count(*) FROM idempotency_keys WHERE caller = $1::text AND response_status = 201) AS keys`,
      [user.id],
    );
    return { orders: Number(rows[0].orders), keys: Number(rows[0].keys) };
  };

  const results: Record<string, unknown>[] = [];
  const record = (
    workload: string,
    connections: number,
    measured: Record<string, Measured>,
    references: string[],
  ) => {
    const [service] = Object.keys(measured);
    for (const [name, m] of Object.entries(measured)) {
      const ratios =
        name === service
          ? Object.fromEntries(references.map((ref) => [ref, m.rps / measured[ref].rps]))
          : {};
      results.push({ workload, connections, target: name, ...m, ratios });
    }
  };

  for (const connections of CONNECTIONS) {
    const before = await counts();
    const create = await compare(
      [
        {
          name: 'service create',
          url: `${service.baseUrl}/api/orders`,
          method: 'POST',
          headers: auth,
          body: ORDER,
          uniqueKey: true,
        },
        {
          name: 'raw-many',
          url: `${refs.url}/raw-many`,
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: ORDER,
          uniqueKey: true,
        },
        {
          name: 'raw-one',
          url: `${refs.url}/raw-one`,
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: ORDER,
          uniqueKey: true,
        },
      ],
      connections,
    );
    record('create', connections, create, ['raw-many', 'raw-one']);
    // Every order has its completed key. Counted in one statement (one snapshot), after the
    // requests autocannon dropped at its stop have had time to commit.
    await sleep(1_000);
    const { orders, keys } = await counts();
    results.push({
      workload: 'create correctness',
      connections,
      newOrders: orders - before.orders,
      newCompletedKeys: keys - before.keys,
      ok: orders - before.orders === keys - before.keys,
      serviceRssMiB: service.rssMiB(),
    });
    if (orders - before.orders !== keys - before.keys) {
      throw new Error(
        `create correctness failed: ${orders - before.orders} orders but ${keys - before.keys} completed keys`,
      );
    }

    const replay = await compare(
      [
        {
          name: 'service replay',
          url: `${service.baseUrl}/api/orders`,
          method: 'POST',
          headers: { ...auth, 'Idempotency-Key': seedKey },
          body: ORDER,
        },
        {
          name: 'raw-replay',
          url: `${refs.url}/raw-replay`,
          method: 'POST',
          headers: { 'Idempotency-Key': seedKey },
        },
      ],
      connections,
    );
    record('replay', connections, replay, ['raw-replay']);
    const get = await compare(
      [
        {
          name: 'service get',
          url: `${service.baseUrl}/api/orders/${seeded.id}`,
          method: 'GET',
          headers: auth,
        },
        { name: 'raw-get', url: `${refs.url}/raw-get/${seeded.id}`, method: 'GET', headers: {} },
      ],
      connections,
    );
    record('get by id', connections, get, ['raw-get']);
    const ceiling = await measure(
      { name: 'http-only', url: `${refs.url}/http-only`, method: 'POST', headers: {} },
      connections,
      SECONDS,
    );
    results.push({
      workload: 'http-only',
      connections,
      target: 'http-only',
      ...ceiling,
      ratios: {},
    });
  }

  await admin.end();
  await refs.close();
  service.child.kill('SIGTERM');
  await db.stop();
  report(results);
}

function report(results: Record<string, unknown>[]) {
  const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded PostgreSQL 18'}`;
  const rows = results.filter((row) => 'rps' in row);
  console.log(
    `\nbench: ${machine}; ${SECONDS} s per measured pass, ${REPETITIONS} alternating repetitions, medians\n`,
  );
  console.log(
    '| workload | conns | target | req/s | p50 ms | p99 ms | non-2xx | errors | ratios |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const row of rows) {
    const ratios = Object.entries(row.ratios as Record<string, number>)
      .map(([ref, ratio]) => `${ratio.toFixed(2)}× ${ref}`)
      .join(', ');
    console.log(
      `| ${String(row.workload)} | ${String(row.connections)} | ${String(row.target)} | ${(row.rps as number).toFixed(0)} | ${String(row.p50)} | ${String(row.p99)} | ${String(row.non2xx)} | ${String(row.errors)} | ${ratios} |`,
    );
  }
  for (const row of results.filter((r) => r.workload === 'create correctness'))
    console.log(
      `create correctness at ${String(row.connections)} connections: ${JSON.stringify(row)}`,
    );
  mkdirSync(join(__dirname, 'results'), { recursive: true });
  writeFileSync(
    join(__dirname, 'results', 'latest.json'),
    `${JSON.stringify({ machine, seconds: SECONDS, repetitions: REPETITIONS, results }, null, 2)}\n`,
  );
  writeFileSync(join(__dirname, 'results', 'latest.svg'), ratioChart(rows, machine));
  console.log('\nwrote bench/results/latest.json and bench/results/latest.svg');
}

main().catch((error: Error) => {
  console.error(`bench failed: ${error.message}`);
  process.exit(1);
});
