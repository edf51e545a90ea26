import { Client } from 'pg';
import { JobRunner } from '../src/jobs/job-runner';
import { startTestAppOnOwnDatabase, TestAppOnOwnDatabase } from './support/test-app';
import { waitFor } from './support/wait';

/** The runner's life in the process, on a database of its own so its sessions are the only ones. */
describe('job runner', () => {
  let app: TestAppOnOwnDatabase;
  let admin: Client;
  beforeAll(async () => {
    app = await startTestAppOnOwnDatabase({ WORKER_CONCURRENCY: '1' });
    admin = new Client({ connectionString: process.env.E2E_DATABASE_URL });
    await admin.connect();
  });
  afterAll(async () => {
    await admin.end();
    await app.close();
  });

  const runnerSessions = async (database: string) =>
    Number(
      (
        await admin.query(
          `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'order-service jobs'`,
          [database],
        )
      ).rows[0].n,
    );

  it('stops a runner that was still starting when the process began to stop', async () => {
    const database = new URL(app.databaseUrl).pathname.slice(1);
    await waitFor('the first runner', async () => (await runnerSessions(database)) > 0);
    const runner = app.nest.get(JobRunner);
    await runner.onApplicationShutdown(); // the first runner gone, as after a database outage
    await waitFor('the first runner gone', async () => (await runnerSessions(database)) === 0);
    // The runner a restart starts, its start not yet finished when the shutdown begins.
    const restarted = (runner as unknown as { start(): Promise<void> }).start();
    await runner.onApplicationShutdown();
    await restarted;
    await waitFor('no runner left', async () => (await runnerSessions(database)) === 0);
  });
});
