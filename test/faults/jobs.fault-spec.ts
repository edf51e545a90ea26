import { rmSync } from 'node:fs';
import { startReadyService, startReadyWorker, stopService } from '../support/service-process';
import { EmbeddedServerProcess, spawnEmbeddedServer } from '../support/embedded-server';
import { createDatabaseOn, TestDatabase, traversableTempDir } from '../support/test-database';
import { blockedServiceBackend } from '../support/blocking';
import { waitFor } from '../support/wait';
import { JOB_SHUTDOWN_GRACE_MS } from '../../src/jobs/job-runner';
import { RUNNER_DEAD_AFTER_MS } from '../../src/jobs/stranded-jobs';
import { holdFiles, imageAudit, lockedJobs, queryOn, uploadImages } from './support/jobs';
import { signUp } from './support/orders-client';
import { report } from './support/report';

type Service = Awaited<ReturnType<typeof startReadyService>>;
type Worker = Awaited<ReturnType<typeof startReadyWorker>>;

/** What the issue allows between a worker's death and its jobs being done by another process. */
const RECOVERY_BOUND_MS = 60_000;

/** Every worker a test starts, stopped after it whatever happened. */
const workers: Worker[] = [];
const workerOn = async (databaseUrl: string, env: Record<string, string> = {}) => {
  const worker = await startReadyWorker(databaseUrl, env);
  workers.push(worker);
  return worker;
};
/** Every hold a test takes, released after it whatever happened (before its workers stop). */
const holds: Awaited<ReturnType<typeof holdFiles>>[] = [];
const holdOn = async (databaseUrl: string, fileIds: string[]) => {
  const hold = await holdFiles(databaseUrl, fileIds);
  holds.push(hold);
  return hold;
};
afterEach(async () => {
  await Promise.all(holds.splice(0).map((hold) => hold.release()));
  await Promise.all(workers.splice(0).map(stopService));
});

describe('faults: background jobs (image processing) under crashes', () => {
  let database: TestDatabase;
  let api: Service;
  let token: string;
  beforeAll(async () => {
    database = await createDatabaseOn(process.env.E2E_DATABASE_URL!);
    // The API runs no jobs: workers are processes of their own here, to be killed.
    api = await startReadyService(database.url, { WORKER_CONCURRENCY: '0' }, 'build');
    ({ token } = await signUp(api.baseUrl));
  });
  afterAll(async () => {
    await stopService(api);
    await database.stop();
  });

  it(
    'SIGKILL of the worker in the middle of processing, 5 times: every image ends ready within the bound, one thumbnail each, no orphan blob',
    async () => {
      const recoveries: number[] = [];
      let uploads = 0;
      for (let round = 0; round < 5; round++) {
        // Queued and held before the worker starts: a worker already running can finish each
        // image as it arrives, and then no job is ever held when the test looks.
        const ids = await uploadImages(api.baseUrl, token, 6);
        uploads += ids.length;
        const hold = await holdOn(database.url, ids);
        const worker = await workerOn(database.url);
        await blockedServiceBackend(hold.client); // a job waiting to mark its file ready
        worker.child.kill('SIGKILL');
        await worker.exited;
        await hold.release();
        const killedAt = Date.now();
        const next = await workerOn(database.url);
        await waitFor(
          'every image processed',
          async () => (await imageAudit(database.url)).processing === 0,
          {
            ms: RECOVERY_BOUND_MS,
            every: 250,
          },
        );
        recoveries.push(Date.now() - killedAt);
        await stopService(next);
      }
      const audit = await imageAudit(database.url);
      expect(audit).toEqual({
        processing: 0,
        ready: uploads,
        failed: 0,
        blobs: 2 * uploads,
        orphans: 0,
      });
      report({
        scenario: 'worker SIGKILLed mid image job, 5 times',
        requests: uploads,
        duplicates: audit.blobs - 2 * uploads,
        lost: uploads - audit.ready,
        fiveHundreds: 0,
        note: `all ready ${Math.min(...recoveries)}-${Math.max(...recoveries)} ms after each kill`,
      });
    },
    5 * RECOVERY_BOUND_MS,
  );

  it('SIGTERM of a worker mid job: it exits 0 within the grace, holding no job, and the rest is done by the next worker at once', async () => {
    const ids = await uploadImages(api.baseUrl, token, 8); // queued and held first, as above
    const hold = await holdOn(database.url, ids);
    const worker = await workerOn(database.url);
    await blockedServiceBackend(hold.client);
    const termAt = Date.now();
    worker.child.kill('SIGTERM');
    await hold.release(); // the job held goes on, and has the grace to finish in
    expect(await worker.exited).toBe(0);
    const exitMs = Date.now() - termAt;
    expect(exitMs).toBeLessThan(JOB_SHUTDOWN_GRACE_MS + 5_000);
    expect(await lockedJobs(database.url)).toBe(0); // finished, or handed back: none stranded
    const startedAt = Date.now();
    await workerOn(database.url);
    await waitFor(
      'every image processed',
      async () => (await imageAudit(database.url)).processing === 0,
      {
        ms: RUNNER_DEAD_AFTER_MS, // sooner than a dead runner's jobs would be released
        every: 100,
      },
    );
    report({
      scenario: 'worker SIGTERMed mid image job',
      requests: ids.length,
      duplicates: '-',
      lost: (await imageAudit(database.url)).processing,
      fiveHundreds: 0,
      note: `exit 0 after ${exitMs} ms; the rest done ${Date.now() - startedAt} ms after the next worker started`,
    });
  });

  it('two workers: every job runs once between them, and their /metrics count them all', async () => {
    const workers = await Promise.all([1, 2].map(() => workerOn(database.url)));
    const ids = await uploadImages(api.baseUrl, token, 24, 800);
    await waitFor(
      'every image processed',
      async () => (await imageAudit(database.url)).processing === 0,
      {
        ms: 60_000,
        every: 100,
      },
    );
    // Each worker's probes answer, and its /metrics counts the jobs it ran: all of them between the two.
    const scrape = async (worker: Worker, path: string) => {
      const response = await fetch(`${worker.baseUrl}${path}`);
      return [response.status, await response.text()] as const;
    };
    const done =
      /^job_enqueue_to_done_seconds_count\{task="files.processImage",outcome="succeeded"\} (\d+)$/m;
    let counted = 0;
    for (const worker of workers) {
      expect((await scrape(worker, '/health/live'))[0]).toBe(200);
      expect((await scrape(worker, '/health/ready'))[0]).toBe(200);
      const [status, metrics] = await scrape(worker, '/metrics');
      expect(status).toBe(200);
      counted += Number(done.exec(metrics)?.[1] ?? 0);
    }
    expect(counted).toBe(ids.length);
    await Promise.all(workers.map(stopService));
    const runs = workers.map((worker) =>
      ids.map((id) => worker.stdout().split(`files.processImage:${id}`).length - 1),
    );
    const perJob = ids.map((_, i) => runs[0][i] + runs[1][i]);
    expect(perJob).toEqual(ids.map(() => 1));
    const perWorker = runs.map((counts) => counts.reduce((sum, n) => sum + n, 0));
    report({
      scenario: 'two workers, 24 image jobs',
      requests: ids.length,
      duplicates: perJob.filter((n) => n > 1).length,
      lost: perJob.filter((n) => n === 0).length,
      fiveHundreds: 0,
      note: `runs per worker ${perWorker.join(' / ')}`,
    });
  });
});

describe('faults: PostgreSQL restarted while jobs run', () => {
  const dataDir = traversableTempDir('order-service-job-restarts-');
  let server: EmbeddedServerProcess;
  let api: Service;
  afterAll(async () => {
    if (api) await stopService(api);
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    'jobs running when the database went down complete after it is back',
    async () => {
      server = await spawnEmbeddedServer(dataDir);
      // The images are queued through a service that runs no jobs, and held, so that the one
      // started after it is certain to be running jobs when the database goes down (which ends
      // the hold's transaction too).
      const uploader = await startReadyService(server.url, { WORKER_CONCURRENCY: '0' }, 'build');
      const { token } = await signUp(uploader.baseUrl);
      const ids = await uploadImages(uploader.baseUrl, token, 12);
      await stopService(uploader);
      const hold = await holdOn(server.url, ids);
      api = await startReadyService(
        server.url,
        { WORKER_CONCURRENCY: '2', LOG_LEVEL: 'info' },
        'build',
      );
      await blockedServiceBackend(hold.client);
      const port = Number(new URL(server.url).port);
      await server.stop();
      await hold.release();
      server = await spawnEmbeddedServer(dataDir, port);
      const upAt = Date.now();
      await waitFor(
        'every image processed',
        async () => (await imageAudit(server.url)).processing === 0,
        {
          ms: RECOVERY_BOUND_MS,
          every: 250,
        },
      ).catch(async (error: Error) => {
        const jobs = await queryOn(
          server.url,
          'SELECT id, attempts, run_at, locked_by, locked_at, last_error FROM graphile_worker.jobs',
        );
        const probe = async (path: string) =>
          fetch(`${api.baseUrl}${path}`, { signal: AbortSignal.timeout(3_000) }).then(
            async (response) => `${response.status} ${(await response.text()).slice(0, 2000)}`,
            (failure: Error) => failure.message,
          );
        const metrics = (await probe('/metrics'))
          .split('\n')
          .filter((line) => /^(db_pool|jobs_)/.test(line));
        const exit = `exit ${api.child.exitCode} ${api.child.signalCode}; stderr: ${api.stderr()}`;
        const health = `ready: ${await probe('/health/ready')}; ${metrics.join('; ')}; ${exit}`;
        const said = api
          .stdout()
          .split('\n')
          .filter((line) => !line.includes('request completed'));
        throw new Error(
          `${error.message}\n${health}\njobs: ${JSON.stringify(jobs)}\nthe service said:\n${said.slice(-40).join('\n')}`,
        );
      });
      const audit = await imageAudit(server.url);
      expect(audit).toMatchObject({ ready: ids.length, failed: 0, orphans: 0 });
      const [{ live }] = await queryOn<{ live: string }>(
        server.url,
        'SELECT count(*) AS live FROM job_runner_heartbeats',
      );
      expect(Number(live)).toBeGreaterThan(0); // the API's runner is back after the outage
      report({
        scenario: 'PostgreSQL restarted during image jobs',
        requests: ids.length,
        duplicates: '-',
        lost: ids.length - audit.ready,
        fiveHundreds: 0,
        note: `all ready ${Date.now() - upAt} ms after the restart`,
      });
    },
    2 * RECOVERY_BOUND_MS,
  );
});
