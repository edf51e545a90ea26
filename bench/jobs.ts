import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { PROCESS_IMAGE } from '../src/files/files.repository';
import { waitFor } from '../test/support/wait';
import { Fixture } from './fixture';
import { Files, Images, images } from './files-client';
import { compare, Measured, percentile, SECONDS, Target, WARMUP_SECONDS } from './measure';
import { Process, startService, startWorker } from './processes';
import { BenchReport } from './report';

/** Uploads timed from the POST to the GET that shows `ready`, one after the other. */
const LATENCY_UPLOADS = Number(process.env.BENCH_JOBS_UPLOADS ?? 100);
/** Images queued before a worker starts, for its jobs per second. */
const BACKLOG = Number(process.env.BENCH_JOBS_BACKLOG ?? 200);
/** Uploads per turn of each set-up. */
const LATENCY_BLOCK = 10;
const CONCURRENCIES = [1, 2, 4];
/** How often the queue is counted in SQL while a backlog drains. */
const COUNT_MS = 20;
const CREATE_CONNECTIONS = 10;

/** Runs `work` with `held` stopped (SIGSTOP): a stopped process takes no jobs. */
async function whileHeld<T>(held: Process, work: () => Promise<T>): Promise<T> {
  held.child.kill('SIGSTOP');
  try {
    return await work();
  } finally {
    held.child.kill('SIGCONT');
  }
}

/** Where jobs run: `files` is the API uploads go to, `runner` the process whose worker runs them. */
interface Setup {
  name: string;
  files: Files;
  runner: Process;
}

/** `count` uploads one after the other, each timed from the POST until the GET shows it done. */
async function timeUploads(files: Files, bytes: Buffer, count: number, into: number[]) {
  let notReady = 0;
  for (let i = 0; i < count; i++) {
    const sent = performance.now();
    const status = await files.processed(await files.upload(bytes, 'photo.jpg'));
    into.push(performance.now() - sent);
    if (status !== 'ready') notReady++;
  }
  return notReady;
}

function latencies(times: number[], notReady: number): Measured {
  const sorted = [...times].sort((a, b) => a - b);
  const seconds = times.reduce((sum, ms) => sum + ms, 0) / 1000;
  const [p50, p99] = [percentile(sorted, 0.5), percentile(sorted, 0.99)];
  return {
    rps: times.length / seconds,
    p50,
    p99,
    non2xx: notReady,
    errors: 0,
    cpuUs: NaN,
    pgCpuUs: NaN,
  };
}

/**
 * Upload-to-ready, LATENCY_UPLOADS times on each set-up. The two take turns in blocks of
 * LATENCY_BLOCK so that the machine's noise falls on both; the other set-up's runner is held
 * meanwhile, and a turn ends once the queue is empty (a job is deleted just after its file is
 * marked, so a held runner never keeps one).
 */
async function uploadToReady(db: Client, bytes: Buffer, setups: Setup[]) {
  const times = setups.map((): number[] => []);
  const notReady = setups.map(() => 0);
  for (let sent = 0; sent < LATENCY_UPLOADS; sent += LATENCY_BLOCK) {
    for (const [i, { files }] of setups.entries()) {
      const other = setups[(i + 1) % setups.length].runner;
      notReady[i] += await whileHeld(other, async () => {
        const count = Math.min(LATENCY_BLOCK, LATENCY_UPLOADS - sent);
        const failed = await timeUploads(files, bytes, count, times[i]);
        await queueEmpty(db);
        return failed;
      });
    }
  }
  return Object.fromEntries(setups.map(({ name }, i) => [name, latencies(times[i], notReady[i])]));
}

const countWhere = async (db: Client, ids: string[], condition: string) =>
  Number(
    (
      await db.query<{ n: string }>(
        `SELECT count(*) AS n FROM files WHERE id = ANY($1::uuid[]) AND ${condition}`,
        [ids],
      )
    ).rows[0].n,
  );

/**
 * A fresh worker at `concurrency` on BACKLOG queued images, timed from the first file it finished
 * to the last: its start-up is not part of the rate.
 */
async function drainRate(
  db: Client,
  files: Files,
  databaseUrl: string,
  bytes: Buffer,
  concurrency: number,
): Promise<Measured> {
  const ids = await files.uploadAll(bytes, BACKLOG);
  const finished = () => countWhere(db, ids, `status <> 'processing'`);
  const firstDone = waitFor(
    'first backlog job done',
    async () => {
      const done = await finished();
      return done > 0 && { done, at: performance.now() };
    },
    { ms: 60_000, every: COUNT_MS },
  );
  const worker = await startWorker(databaseUrl, concurrency);
  const first = await firstDone;
  const last = await waitFor(
    'backlog done',
    async () => (await finished()) === BACKLOG && performance.now(),
    { ms: 600_000, every: COUNT_MS },
  );
  await worker.stop();
  const rps = (BACKLOG - first.done) / ((last - first.at) / 1000);
  const failed = await countWhere(db, ids, `status <> 'ready'`);
  return { rps, p50: NaN, p99: NaN, non2xx: failed, errors: 0, cpuUs: NaN, pgCpuUs: NaN };
}

/** Waits until no image job is queued or running. */
async function queueEmpty(db: Client) {
  const jobs = async () =>
    Number(
      (
        await db.query<{ n: string }>(
          'SELECT count(*) AS n FROM graphile_worker.jobs WHERE task_identifier = $1',
          [PROCESS_IMAGE],
        )
      ).rows[0].n,
    );
  await waitFor('image jobs finished', async () => (await jobs()) === 0, { ms: 60_000 });
}

/** Removes the image jobs still queued and waits for the running ones: how many were queued. */
async function dropQueuedJobs(db: Client): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM graphile_worker.complete_jobs(ARRAY(
       SELECT id FROM graphile_worker.jobs WHERE task_identifier = $1 AND locked_at IS NULL))`,
    [PROCESS_IMAGE],
  );
  await queueEmpty(db);
  return Number(rows[0].n);
}

/**
 * Creates against the in-process worker's service, alternately with the worker idle and busy. The
 * busy backlog is queued through the API at 0 (the measured service does not receive it) while
 * the service is held with SIGSTOP, so that the whole backlog waits when the pass starts rather
 * than being worked off as it trickles in; it is sized from the worker's unloaded rate to outlast
 * the pass, what is left is dropped after it, and `leftAtEnd` shows the worker was busy to the end.
 */
async function createsWhileBusy(
  db: Client,
  report: BenchReport,
  create: Target,
  { service, files, small, rate }: { service: Process; files: Files; small: Buffer; rate: number },
) {
  const backlog = Math.ceil(1.5 * rate * (WARMUP_SECONDS + SECONDS));
  const leftAtEnd: number[] = [];
  const idle: Target = { ...create, name: 'create, worker idle' };
  const busy: Target = {
    ...create,
    name: 'create, worker busy',
    before: () => whileHeld(service, async () => void (await files.uploadAll(small, backlog))),
    after: async () => void leftAtEnd.push(await dropQueuedJobs(db)),
  };
  const measured = await compare([idle, busy], CREATE_CONNECTIONS);
  const [i, b] = [measured[idle.name], measured[busy.name]];
  const measures = { [busy.name]: b, [idle.name]: i };
  report.add('create while image jobs run', CREATE_CONNECTIONS, measures, { [idle.name]: null });
  report.check('jobs: creates while the in-process worker runs image jobs', {
    rps: [i.rps, b.rps],
    ratio: b.rps / i.rps,
    p99: [i.p99, b.p99],
    backlog,
    leftAtEnd,
    busyThroughout: leftAtEnd.every((left) => left > 0),
  });
}

/** A fresh worker's peak RSS (VmHWM) once started, and after it has processed one upload. */
async function peakRss(files: Files, databaseUrl: string, bytes: Buffer, name: string) {
  const worker = await startWorker(databaseUrl, 2);
  const before = worker.peakRssMiB();
  const type = name.endsWith('.png') ? 'image/png' : 'image/jpeg';
  const status = await files.processed(await files.upload(bytes, name, type));
  const after = worker.peakRssMiB();
  await worker.stop();
  const [peakBefore, peakAfter] = [Math.round(before), Math.round(after)];
  return { bytes: bytes.length, status, peakBefore, peakAfter, growth: peakAfter - peakBefore };
}

/** The memory bound: what a pixel bomb, and a large image that is processed, add to a fresh worker's peak. */
async function peakRssChecks(report: BenchReport, files: Files, databaseUrl: string, img: Images) {
  for (const [what, bytes, name] of [
    ['pixel bomb, 40000×40000 PNG', img.bomb, 'bomb.png'],
    ['6000×4000 JPEG', img.large, 'large.jpg'],
  ] as const)
    report.check(
      `jobs: worker.js peak RSS (MiB), ${what}`,
      await peakRss(files, databaseUrl, bytes, name),
    );
}

/** Jobs per second of a fresh `worker.js` at each of CONCURRENCIES, on a backlog of BACKLOG images. */
async function rates(db: Client, report: BenchReport, files: Files, url: string, small: Buffer) {
  const drained: Record<number, Measured> = {};
  for (const concurrency of CONCURRENCIES) {
    drained[concurrency] = await drainRate(db, files, url, small, concurrency);
    report.add(
      `image jobs/s, ${BACKLOG} queued`,
      concurrency,
      { 'worker.js': drained[concurrency] },
      {},
    );
  }
  return drained;
}

/**
 * The jobs phase, on a database no other process runs jobs on: upload-to-ready with a separate
 * worker and in-process, jobs per second by concurrency, a worker's peak RSS on a pixel bomb and
 * a large image, and creates while the in-process worker is busy.
 */
export async function measureJobs(
  databaseUrl: string,
  db: Client,
  report: BenchReport,
  f: Fixture,
  create: Target,
) {
  const img = await images();
  const api = await startService(databaseUrl, { WORKER_CONCURRENCY: '0' });
  const viaApi = new Files(api, f.auth.Authorization);
  const drained = await rates(db, report, viaApi, databaseUrl, img.small);
  await peakRssChecks(report, viaApi, databaseUrl, img);
  const worker = await startWorker(databaseUrl, 2);
  const inProcess = await startService(databaseUrl, { WORKER_CONCURRENCY: '2' });
  const latency = await uploadToReady(db, img.photo, [
    {
      name: 'in-process worker',
      files: new Files(inProcess, f.auth.Authorization),
      runner: inProcess,
    },
    { name: 'worker.js process', files: viaApi, runner: worker },
  ]);
  report.add(`upload ${Math.round(img.photo.length / 1024)} KiB JPEG to ready`, 1, latency, {});
  await worker.stop();
  const orders = { ...create, url: `${inProcess.baseUrl}/api/orders` };
  const rate = drained[2].rps;
  await createsWhileBusy(db, report, orders, {
    service: inProcess,
    files: viaApi,
    small: img.small,
    rate,
  });
  await inProcess.stop();
  await api.stop();
}
