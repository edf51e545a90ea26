import { randomUUID } from 'node:crypto';
import { Transactions } from '../src/database/transactions';
import { JobTasks } from '../src/jobs/job-task';
import { JobsRepository } from '../src/jobs/jobs.repository';
import { StrandedJobs } from '../src/jobs/stranded-jobs';
import { OrderExportJob } from '../src/order-exports/order-export.job';
import { blockedServiceBackend, holdInTransaction } from './support/blocking';
import { orderAt, postExport } from './support/order-exports';
import { startTestAppOnOwnDatabase, TestAppOnOwnDatabase } from './support/test-app';
import { expectProblem, signUpAndIn, SignedUpUser } from './support/users';
import { waitFor } from './support/wait';

/**
 * The export's job, run by hand: this app runs no jobs (WORKER_CONCURRENCY=0) and has a database
 * of its own, so a queued job stays queued until a test runs it, and counts see only this file's.
 */
describe('order exports: the job', () => {
  let app: TestAppOnOwnDatabase;
  let job: OrderExportJob;
  beforeAll(async () => {
    app = await startTestAppOnOwnDatabase({ WORKER_CONCURRENCY: '0' });
    job = app.nest.get(OrderExportJob);
  });
  afterAll(() => app.close());

  const count = async (sql: string, ...params: unknown[]) =>
    Number((await app.dataSource.query(sql, params))[0].n);
  const jobsFor = (exportId: string) =>
    count(
      `SELECT count(*) AS n
         FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id
        WHERE t.identifier = 'orderExports.run' AND j.payload->>'exportId' = $1`,
      exportId,
    );
  const filesOf = (user: SignedUpUser) =>
    count('SELECT count(*) AS n FROM files WHERE user_id = $1', user.id);
  const unreferencedBlobs = () =>
    count(
      'SELECT count(*) AS n FROM file_blobs b WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.blob_id = b.id)',
    );
  /** As graphile-worker leaves a job locked by `runner` a minute ago, on its `attempts`th run. */
  const lockedSinceAMinute = (exportId: string, runner: string, attempts: 'last' | 'first') =>
    app.dataSource.query(
      `UPDATE graphile_worker._private_jobs j
          SET attempts = CASE WHEN $3 = 'last' THEN j.max_attempts ELSE 1 END,
              locked_by = $2, locked_at = now() - interval '1 minute'
         FROM graphile_worker._private_tasks t
        WHERE t.id = j.task_id AND t.identifier = 'orderExports.run'
          AND j.payload->>'exportId' = $1`,
      [exportId, runner, attempts],
    );
  /** As graphile-worker's permanently_fail_jobs leaves the export's job: failed for good. */
  const failForGood = (exportId: string, error: string) =>
    app.dataSource.query(
      `SELECT graphile_worker.permanently_fail_jobs(array_agg(id), $2)
         FROM graphile_worker.jobs WHERE key = $1`,
      [`orderExports.run:${exportId}`, error],
    );
  const runOnce = (exportId: string) =>
    job.run({ exportId }, { attempt: 1, maxAttempts: 8, signal: new AbortController().signal });
  const read = async (user: SignedUpUser, id: string) =>
    (await app.http.get(`/api/order-exports/${id}`).set(user.auth).expect(200)).body;

  it('queues the export with one job; a retry with its key replays the 202 byte for byte and adds none', async () => {
    const user = await signUpAndIn(app);
    const key = randomUUID();
    const first = await postExport(app, user, { format: 'csv', status: 'pending' }, key).expect(
      202,
    );
    const retry = await postExport(app, user, { format: 'csv', status: 'pending' }, key).expect(
      202,
    );
    expect(retry.text).toBe(first.text);
    for (const header of ['location', 'etag', 'retry-after', 'content-type'])
      expect(retry.headers[header]).toBe(first.headers[header]);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(await jobsFor(first.body.id)).toBe(1);
    expect(await count('SELECT count(*) AS n FROM order_exports WHERE user_id = $1', user.id)).toBe(
      1,
    );
    expectProblem(
      await postExport(app, user, { format: 'csv', status: 'cancelled' }, key),
      422,
      'idempotency_key_reused',
    );
    expect(await jobsFor(first.body.id)).toBe(1);
  });

  it('without a key, each request is an export of its own with its own job', async () => {
    const user = await signUpAndIn(app);
    const [one, two] = [
      await postExport(app, user, { format: 'csv' }).expect(202),
      await postExport(app, user, { format: 'csv' }).expect(202),
    ];
    expect(one.body.id).not.toBe(two.body.id);
    expect([await jobsFor(one.body.id), await jobsFor(two.body.id)]).toEqual([1, 1]);
  });

  it('shows running with Retry-After while a run has started', async () => {
    const user = await signUpAndIn(app);
    const { body } = await postExport(app, user, { format: 'csv' }).expect(202);
    await app.dataSource.query(`UPDATE order_exports SET status = 'running' WHERE id = $1`, [
      body.id,
    ]);
    const response = await app.http.get(`/api/order-exports/${body.id}`).set(user.auth);
    expect([response.body.status, response.headers['retry-after']]).toEqual(['running', '1']);
  });

  it('makes one CSV file however many runs there are, together or one after the other', async () => {
    const user = await signUpAndIn(app);
    await orderAt(app, user, '2026-06-01T00:00:00Z', { items: 2 });
    const { body } = await postExport(app, user, { format: 'csv' }).expect(202);
    const blobsBefore = await unreferencedBlobs();
    // Both start before either finishes, as after a runner wrongly taken for dead.
    await Promise.all([runOnce(body.id), runOnce(body.id)]);
    await runOnce(body.id); // after it succeeded: nothing to do
    expect(await filesOf(user)).toBe(1);
    expect(await unreferencedBlobs()).toBe(blobsBefore);
    const done = await read(user, body.id);
    expect(done).toMatchObject({ status: 'succeeded', rowCount: 1 });
    await app.http.get(done.file.url).set(user.auth).expect(200);
  });

  it('stops between pages when its run is aborted, and keeps nothing of it', async () => {
    const user = await signUpAndIn(app);
    await orderAt(app, user, '2026-06-02T00:00:00Z', { items: 1 });
    const { body } = await postExport(app, user, { format: 'csv' }).expect(202);
    const blobsBefore = await unreferencedBlobs();
    const aborted = job.run(
      { exportId: body.id },
      { attempt: 1, maxAttempts: 8, signal: AbortSignal.abort() },
    );
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
    expect([await filesOf(user), await unreferencedBlobs()]).toEqual([0, blobsBefore]);
    expect((await read(user, body.id)).status).toBe('running'); // the job will run again
  });

  it('fails with export_failed once the job gives up, and stays failed', async () => {
    const user = await signUpAndIn(app);
    const { body } = await postExport(app, user, { format: 'csv' }).expect(202);
    await job.gaveUp({ exportId: body.id }, new Error('disk on fire'));
    const response = await app.http.get(`/api/order-exports/${body.id}`).set(user.auth);
    expect(response.headers['retry-after']).toBeUndefined();
    expect(response.body).toMatchObject({
      status: 'failed',
      rowCount: null,
      file: null,
      error: { code: 'export_failed', detail: expect.any(String) },
    });
    expect(JSON.stringify(response.body)).not.toContain('disk on fire');
    await runOnce(body.id);
    expect((await read(user, body.id)).status).toBe('failed');
  });

  it('fails with export_failed once the process running its last allowed run died', async () => {
    const user = await signUpAndIn(app);
    const { body } = await postExport(app, user, { format: 'csv' }).expect(202);
    // The runner died during the job's last run: the run counted, and it writes no heartbeat.
    await lockedSinceAMinute(body.id, 'a-dead-runner', 'last');
    await app.nest.get(StrandedJobs).check(); // the app's own check may be first: either will do
    const failed = await waitFor('the export failed', async () => {
      const found = await read(user, body.id);
      return found.status === 'failed' && found;
    });
    expect(failed.error).toMatchObject({ code: 'export_failed' });
  });

  it('fails with export_failed once its job failed for good without giving up, retrying a give-up that failed', async () => {
    const user = await signUpAndIn(app);
    const { body } = await postExport(app, user, { format: 'csv' }).expect(202);
    const giveUp = job.gaveUp.bind(job);
    let refused = false; // its first give-up fails, as with the database away for that moment
    const gaveUp = jest.spyOn(job, 'gaveUp').mockImplementation(async (payload, error) => {
      if (payload.exportId !== body.id || refused) return giveUp(payload, error);
      refused = true;
      throw new Error('the database went away');
    });
    const callsForIt = () => gaveUp.mock.calls.filter(([payload]) => payload.exportId === body.id);
    try {
      // As a last run leaves it when its own gaveUp failed, or an operator's permanently_fail_jobs.
      await failForGood(body.id, 'disk on fire');
      const stranded = app.nest.get(StrandedJobs);
      // The app's own checks may come first: the first give-up fails, a later check's succeeds.
      const failed = await waitFor('the export failed', async () => {
        await stranded.check();
        const found = await read(user, body.id);
        return found.status === 'failed' && found;
      });
      expect(failed.error).toMatchObject({ code: 'export_failed' });
      expect(callsForIt().length).toBe(2);
      expect(callsForIt()[1][1].message).toBe('disk on fire');
      await stranded.check();
      expect(callsForIt().length).toBe(2); // given up on: not again while it stays failed
      const failedEvents = await count(
        `SELECT count(*) AS n FROM (SELECT type, subject FROM events
                                    UNION ALL SELECT type, subject FROM events_pending) e
          WHERE type = 'order_export.failed' AND subject = $1`,
        body.id,
      );
      expect(failedEvents).toBe(1);
    } finally {
      gaveUp.mockRestore();
    }
  });

  it('keeps an export queued again by an operator, whose old failed job lost its key, queued', async () => {
    const user = await signUpAndIn(app);
    const { body } = await postExport(app, user, { format: 'csv' }).expect(202);
    await failForGood(body.id, 'disk on fire');
    await app.nest.get(StrandedJobs).check();
    expect((await read(user, body.id)).status).toBe('failed');
    // The retry docs/operations.md gives: add_job under the key adds a job, and the old one,
    // still failed, loses its key.
    await app.dataSource.query(
      `UPDATE order_exports SET status = 'queued', error_code = NULL, error_detail = NULL
        WHERE id = $1 AND status = 'failed'`,
      [body.id],
    );
    await app.dataSource.query(
      `SELECT graphile_worker.add_job('orderExports.run', json_build_object('exportId', $1::text),
                max_attempts := 8, job_key := 'orderExports.run:' || $1)`,
      [body.id],
    );
    expect(await jobsFor(body.id)).toBe(2);
    // A process started after the retry has given up on nothing yet.
    const started = new StrandedJobs(
      app.nest.get(JobsRepository),
      app.nest.get(Transactions),
      app.nest.get(JobTasks),
    );
    await started.check();
    expect((await read(user, body.id)).status).toBe('queued');
  });

  it('leaves a long run alone while its runner still writes its heartbeat', async () => {
    const user = await signUpAndIn(app);
    const { body } = await postExport(app, user, { format: 'csv' }).expect(202);
    // Its heartbeat first: the app's own check, every few seconds, must never see it missing.
    await app.dataSource.query(
      `INSERT INTO job_runner_heartbeats (runner_id, seen_at) VALUES ('a-live-runner', now())`,
    );
    try {
      await lockedSinceAMinute(body.id, 'a-live-runner', 'first');
      expect(await app.nest.get(StrandedJobs).check()).toBe(0);
      const stillLocked = await count(
        `SELECT count(*) AS n FROM graphile_worker.jobs WHERE locked_by = 'a-live-runner'`,
      );
      expect(stillLocked).toBe(1);
      expect((await read(user, body.id)).status).toBe('queued');
    } finally {
      await app.dataSource.query(
        `DELETE FROM job_runner_heartbeats WHERE runner_id = 'a-live-runner'`,
      );
    }
  });

  it('stays failed when a run that began before the job gave up finishes after it', async () => {
    const user = await signUpAndIn(app);
    const { body } = await postExport(app, user, { format: 'csv' }).expect(202);
    const blobsBefore = await unreferencedBlobs();
    // The run writes its CSV, then waits to insert its file row while the job gives up.
    const hold = await holdInTransaction(app.databaseUrl, 'LOCK TABLE files IN SHARE MODE', []);
    try {
      const run = runOnce(body.id);
      await blockedServiceBackend(hold.client);
      await job.gaveUp({ exportId: body.id }, new Error('the last run failed'));
      await hold.release();
      await run;
    } finally {
      await hold.release();
    }
    expect((await read(user, body.id)).status).toBe('failed');
    expect(await filesOf(user)).toBe(0);
    expect(await unreferencedBlobs()).toBe(blobsBefore);
    const succeededEvents = await count(
      `SELECT count(*) AS n FROM (SELECT type, subject FROM events
                                  UNION ALL SELECT type, subject FROM events_pending) e
        WHERE e.type = 'order_export.succeeded' AND e.subject = $1`,
      body.id,
    );
    expect(succeededEvents).toBe(0);
  });
});
