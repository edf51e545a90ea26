import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { compare, Measured, measureDatabaseCpu, RATE, ratioOf, Target } from './measure';
import { measureExport } from './export';
import { fixture, Fixture, leanFixture, multipart, ORDER } from './fixture';
import { measureEvents } from './events';
import { measureJobs } from './jobs';
import { measurePeer } from './peer-phase';
import { measurePooler } from './pooler';
import {
  benchDatabase,
  databaseLabel,
  Process,
  startReferences,
  startServiceAndReplica,
} from './processes';
import { BenchReport } from './report';
import { measureScale } from './scale';

const CONNECTIONS = [10, 50];
const UPLOAD_BYTES = 1024 * 1024;

function workloads(
  service: Process,
  replica: Process,
  refs: Process,
  f: Fixture,
  leanOrderId: string,
) {
  const json = { 'Content-Type': 'application/json' };
  const text = Buffer.alloc(UPLOAD_BYTES, 'order service benchmark upload\n');
  const upload = multipart(text, 'bench.txt', 'text/plain');
  // Each target's answering process, whose CPU per request is measured beside its req/s.
  const pidOf = (url: string) =>
    [service, replica, refs].find((p) => url.startsWith(`${p.baseUrl}/`))?.child.pid;
  const t = (name: string, url: string, rest: Partial<Target> = {}): Target => ({
    name,
    url,
    method: 'GET',
    headers: {},
    pid: pidOf(url),
    ...rest,
  });
  const createLike = { method: 'POST' as const, body: ORDER, key: 'unique' as const };
  const retries = { method: 'POST' as const, body: ORDER, headers: f.auth, key: f.replayKeys };
  return {
    create: t('service create', `${service.baseUrl}/api/orders`, {
      ...createLike,
      headers: f.auth,
    }),
    rawMany: t('raw-many', `${refs.baseUrl}/raw-many`, { ...createLike, headers: json }),
    rawOne: t('raw-one', `${refs.baseUrl}/raw-one`, { ...createLike, headers: json }),
    rawLean: t('raw-lean', `${refs.baseUrl}/raw-lean`, { ...createLike, headers: f.auth }),
    rawLeanReplay: t('raw-lean replay', `${refs.baseUrl}/raw-lean`, {
      ...retries,
      key: f.replayKeys,
    }),
    // Keys retried again and again at one process: after a key's first retry, from memory.
    replay: t('service replay', `${service.baseUrl}/api/orders`, retries),
    // The same retries sent to a replica that keeps no answers in memory: with only retries
    // coming in, it reads each key from the table before the pipeline.
    replayFromDatabase: t('service replay (database)', `${replica.baseUrl}/api/orders`, retries),
    rawReplay: t('raw-replay', `${refs.baseUrl}/raw-replay`, { method: 'POST', key: f.replayKeys }),
    get: t('service get', `${service.baseUrl}/api/orders/${f.orderId}`, { headers: f.auth }),
    rawGet: t('raw-get', `${refs.baseUrl}/raw-get/${f.orderId}`),
    rawLeanGet: t('raw-lean-get', `${refs.baseUrl}/raw-lean-get/${leanOrderId}`, {
      headers: f.auth,
    }),
    list: t('service list', `${service.baseUrl}/api/orders?limit=20`, { headers: f.auth }),
    rawList: t('raw-list', `${refs.baseUrl}/raw-list`),
    upload: t('service upload', `${service.baseUrl}/api/files`, {
      method: 'POST',
      body: upload.body,
      headers: { Authorization: f.auth.Authorization, 'Content-Type': upload.contentType },
      key: 'unique',
    }),
    rawUpload: t('raw-upload', `${refs.baseUrl}/raw-upload`, {
      method: 'POST',
      body: upload.body.subarray(0, UPLOAD_BYTES),
      headers: { 'Content-Type': 'application/octet-stream' },
      // Ignored by the reference, but autocannon then rebuilds every request (1 MiB copied) for
      // both targets alike: with a key on one side only, the load generator's own CPU, on the
      // same two cores, was 2-3 ms per upload against the service alone.
      key: 'unique',
    }),
    signUp: t('service sign-up', `${service.baseUrl}/api/users`, {
      method: 'POST',
      headers: json,
      key: 'unique',
      bodyPerRequest: () =>
        JSON.stringify({
          email: `bench-${randomUUID()}@example.com`,
          password: 'bench password',
          name: 'B',
        }),
    }),
    http: t('http-only', `${refs.baseUrl}/http-only`, { method: 'POST' }),
    // The framework's floor: a route through Fastify, its hooks and Nest's router, with no work.
    noop: t('service no-op', `${service.baseUrl}/health/live`),
  };
}

type Workloads = ReturnType<typeof workloads>;

/** Every order of the bench user has its completed key: counted in one snapshot. */
async function countOrdersAndKeys(db: Client, userId: string) {
  const { rows } = await db.query<{ orders: string; keys: string }>(
    `SELECT (SELECT count(*) FROM orders WHERE user_id = $1) AS orders,
            (SELECT count(*) FROM idempotency_keys WHERE caller = $1::text AND route = '/api/orders' AND response_status = 201) AS keys`,
    [userId],
  );
  return { orders: Number(rows[0].orders), keys: Number(rows[0].keys) };
}

/** Runs `work`, then checks that the service's new orders equal its new completed keys. */
async function checkedCreates<T>(
  db: Client,
  report: BenchReport,
  userId: string,
  label: string,
  work: () => Promise<T>,
): Promise<T> {
  const before = await countOrdersAndKeys(db, userId);
  const result = await work();
  await sleep(1_000); // requests autocannon dropped at its stop still commit
  const after = await countOrdersAndKeys(db, userId);
  const newOrders = after.orders - before.orders;
  const newKeys = after.keys - before.keys;
  report.check(`create correctness ${label}`, {
    newOrders,
    newCompletedKeys: newKeys,
    ok: newOrders === newKeys,
  });
  if (newOrders !== newKeys)
    throw new Error(`create correctness failed: ${newOrders} orders, ${newKeys} keys`);
  return result;
}

async function createRun(
  db: Client,
  report: BenchReport,
  w: Workloads,
  f: Fixture,
  service: Process,
  connections: number,
) {
  const measured = await checkedCreates(db, report, f.userId, `@${connections}`, () =>
    compare([w.create, w.rawMany, w.rawOne, w.rawLean], connections),
  );
  report.add('create', connections, measured, { 'raw-many': 1.0, 'raw-one': 1.0, 'raw-lean': 0.8 });
  if (connections === 50) {
    const created = measured['service create'];
    for (const [reference, goal] of [
      ['raw-one', '≤ 2'],
      ['raw-lean', '≤ 1.5'],
    ]) {
      const { ratio, low, high } = ratioOf(created, measured[reference], 'p99');
      report.check(`create p99 @50 vs ${reference}`, {
        service: created.p99,
        [reference]: measured[reference].p99,
        ratio: Number(ratio.toFixed(2)),
        passes: `${low.toFixed(2)}-${high.toFixed(2)}`,
        goal,
      });
    }
    report.check('service RSS after create @50 (MiB)', {
      rssMiB: Math.round(service.rssMiB()),
      goal: '≤ 200 MB',
    });
  }
}

/**
 * `BENCH_ONLY=create,upload` runs only those phases and prints without writing the results; a
 * run at a fixed `BENCH_RATE` writes none either.
 */
const ONLY = process.env.BENCH_ONLY?.split(',');
type Phase =
  | 'create'
  | 'reads'
  | 'upload'
  | 'sign-up'
  | 'scale'
  | 'export'
  | 'jobs'
  | 'events'
  | 'pooler'
  | 'peer';
const runs = (phase: Phase) =>
  (!ONLY || ONLY.includes(phase)) && (phase !== 'scale' || process.env.BENCH_SCALE !== '0');

/** The named targets' measurements, in that order (the first is the service). */
const only = (measured: Record<string, Measured>, ...targets: Target[]) =>
  Object.fromEntries(targets.map((target) => [target.name, measured[target.name]]));

async function readRuns(report: BenchReport, w: Workloads, connections: number) {
  const replays = await compare(
    [w.replay, w.replayFromDatabase, w.rawReplay, w.rawLeanReplay],
    connections,
  );
  report.add('replay (repeated, from memory)', connections, only(replays, w.replay, w.rawReplay), {
    'raw-replay': 0.7,
  });
  report.add(
    'replay (reads the table)',
    connections,
    only(replays, w.replayFromDatabase, w.rawReplay, w.rawLeanReplay),
    { 'raw-replay': 0.7, 'raw-lean replay': 0.8 },
  );
  const gets = await compare([w.get, w.rawGet, w.rawLeanGet], connections);
  report.add('get by id', connections, gets, { 'raw-get': 0.7, 'raw-lean-get': 0.8 });
  report.add('list first page', connections, await compare([w.list, w.rawList], connections), {
    'raw-list': 0.7,
  });
  report.add('no-op', connections, await compare([w.noop, w.http], connections), {
    'http-only': null,
  });
}

async function uploadRun(report: BenchReport, w: Workloads, service: Process, connections: number) {
  report.add('upload 1 MiB', connections, await compare([w.upload, w.rawUpload], connections), {
    'raw-upload': 0.5,
  });
  report.check(`service RSS after upload @${connections} (MiB)`, {
    rssMiB: Math.round(service.rssMiB()),
  });
}

/**
 * The largest RSS each process has had since it started (VmHWM): the bound is on the whole run,
 * not only on the moment after the creates.
 */
function checkPeakRss(report: BenchReport, when: string, ...processes: Process[]) {
  const [service, replica] = processes.map((p) => Math.round(p.peakRssMiB()));
  report.check(`peak RSS ${when} (MiB)`, { service, replica, goal: '≤ 200 MB' });
}

async function main() {
  const database = await benchDatabase();
  // No job runners here: the export phase measures the one process that runs its job.
  const { service, replica } = await startServiceAndReplica(database.url);
  const f = await fixture(service);
  const refs = await startReferences(database.url, f.userId);
  const db = new Client({ connectionString: database.url });
  await db.connect();
  measureDatabaseCpu(db);
  const report = new BenchReport(await databaseLabel(db));
  const w = workloads(service, replica, refs, f, await leanFixture(refs, f));
  // Creates first: the RSS check is about the create run, before uploads grow the heap.
  for (const connections of CONNECTIONS) {
    if (runs('create')) await createRun(db, report, w, f, service, connections);
  }
  for (const connections of CONNECTIONS) if (runs('reads')) await readRuns(report, w, connections);
  if (runs('create') || runs('reads'))
    checkPeakRss(report, 'through creates and reads', service, replica);
  for (const connections of CONNECTIONS) {
    if (runs('upload')) await uploadRun(report, w, service, connections);
  }
  if (runs('sign-up'))
    report.add('sign-up (scrypt by design)', 10, await compare([w.signUp], 10), {});
  // Replays at scale go to the replica: retries answered from memory would not touch the table.
  if (runs('scale'))
    await measureScale(db, report, { create: w.create, replay: w.replayFromDatabase }, f.orderBody);
  if (runs('peer'))
    await checkedCreates(db, report, f.userId, 'peer phase', () =>
      measurePeer(database.url, report, f, w),
    );
  if (runs('export')) await measureExport(db, report, database.url);
  checkPeakRss(report, 'through the run', service, replica);
  await refs.stop();
  await replica.stop();
  await service.stop();
  // Last, once the other processes are gone: their in-process workers would take the jobs too.
  if (runs('jobs')) await measureJobs(database.url, db, report, f, w.create);
  if (runs('events')) await measureEvents(database.url, db, report, f, w.create);
  if (runs('pooler')) await measurePooler(database.url, report, f, w.create);
  await db.end();
  await database.stop();
  report.write({ files: !ONLY && !RATE });
}

main().catch((error: Error) => {
  console.error(`bench failed: ${error.stack ?? error.message}`);
  process.exit(1);
});
