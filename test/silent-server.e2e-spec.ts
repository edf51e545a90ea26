import type { Socket } from 'node:net';
import type { PoolClient } from 'pg';
import { CLIENT_QUERY_TIMEOUT_MS, poolOf } from '../src/database/data-source';
import { QUERY_READ_TIMEOUT, ServicePool } from '../src/database/service-pool';
import { directUrlFor } from './support/pgbouncer';
import { startTestApp } from './support/test-app';
import { createDatabaseOn, TestDatabase } from './support/test-database';

const SILENCE_MS = 300;

const backendPid = async (client: PoolClient) =>
  (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
const socketOf = (client: PoolClient) =>
  (client as unknown as { connection: { stream: Socket } }).connection.stream;

/** A server that is there and says nothing (a frozen host, a partition): the client gives up. */
describe('a connection whose server goes silent', () => {
  let database: TestDatabase;
  let pool: ServicePool;
  beforeAll(async () => {
    database = await createDatabaseOn(process.env.E2E_DATABASE_URL!);
  });
  beforeEach(() => {
    // Straight to PostgreSQL: through a transaction pooler, the backend stopped below need not
    // be the one that serves the next statement.
    const url = directUrlFor(database.url) ?? database.url;
    pool = new ServicePool({ connectionString: url, max: 1, silenceTimeoutMillis: SILENCE_MS });
  });
  afterEach(() => pool.end());
  afterAll(() => database.stop());

  it('fails a statement with no answer after the silence, and the pool goes on with a new connection', async () => {
    const client = await pool.connect();
    const pid = await backendPid(client);
    process.kill(pid, 'SIGSTOP');
    // Resumed later in any case: a client that waits for ever then fails this test, not the run.
    const resume = setTimeout(() => process.kill(pid, 'SIGCONT'), 20 * SILENCE_MS);
    const failure = await client.query('SELECT 1').catch((error: unknown) => error);
    clearTimeout(resume);
    process.kill(pid, 'SIGCONT');
    expect(failure).toEqual(new Error(QUERY_READ_TIMEOUT));
    client.release(failure as Error);
    const next = await pool.connect();
    try {
      expect(await backendPid(next)).not.toBe(pid);
    } finally {
      next.release();
    }
  });

  it('leaves an idle connection alone however long it is silent', async () => {
    const client = await pool.connect();
    const pid = await backendPid(client);
    const socket = socketOf(client);
    client.release();
    await new Promise((resolve, reject) => {
      socket.once('timeout', resolve);
      setTimeout(() => reject(new Error('the socket was given no idle timer')), 20 * SILENCE_MS);
    });
    expect(socket.destroyed).toBe(false);
    const again = await pool.connect();
    try {
      expect(await backendPid(again)).toBe(pid);
    } finally {
      again.release();
    }
  });

  it('is what the service pool does, after the client query timeout', async () => {
    const app = await startTestApp();
    try {
      const options = (poolOf(app.dataSource) as unknown as { options: Record<string, unknown> })
        .options;
      expect(options.silenceTimeoutMillis).toBe(CLIENT_QUERY_TIMEOUT_MS);
      expect(options.query_timeout).toBeUndefined();
    } finally {
      await app.close();
    }
  });
});
