import type { Socket } from 'node:net';
import type { PoolClient } from 'pg';
import { CLIENT_QUERY_TIMEOUT_MS, poolOf } from '../src/database/data-source';
import { QUERY_READ_TIMEOUT, ServicePool } from '../src/database/service-pool';
import { directUrlFor } from './support/pgbouncer';
import { startTestApp } from './support/test-app';
import { createDatabaseOn, TestDatabase } from './support/test-database';

/** Long enough that no answer of a busy CI machine's server is taken for silence. */
const SILENCE_MS = 1_500;

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

  /** `client`'s statement against a backend stopped with SIGSTOP: what it ends with. */
  async function queryWhileStopped(client: PoolClient, pid: number) {
    const resume = () => {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // gone already
      }
    };
    process.kill(pid, 'SIGSTOP');
    // Resumed later in any case: a client that waits for ever then fails this test, not the run.
    const safety = setTimeout(resume, SILENCE_MS + 10_000);
    const outcome = await client.query('SELECT 1').catch((error: unknown) => error);
    clearTimeout(safety);
    resume();
    return outcome;
  }

  it('fails a statement with no answer after the silence, and the pool goes on with a new connection', async () => {
    const client = await pool.connect();
    let pid: number;
    let outcome: unknown;
    try {
      pid = await backendPid(client);
      outcome = await queryWhileStopped(client, pid);
    } finally {
      client.release(true);
    }
    expect(outcome).toEqual(new Error(QUERY_READ_TIMEOUT));
    const next = await pool.connect();
    try {
      expect(await backendPid(next)).not.toBe(pid);
    } finally {
      next.release(true);
    }
  });

  it('leaves an idle connection alone however long it is silent, and still watches it after', async () => {
    const client = await pool.connect();
    const pid = await backendPid(client);
    const socket = socketOf(client);
    client.release();
    let noTimer: NodeJS.Timeout | undefined;
    await new Promise((resolve, reject) => {
      socket.once('timeout', resolve);
      noTimer = setTimeout(() => reject(new Error('no idle timer')), SILENCE_MS + 10_000);
    }).finally(() => clearTimeout(noTimer));
    expect(socket.destroyed).toBe(false);
    const again = await pool.connect();
    let outcome: unknown;
    try {
      expect(await backendPid(again)).toBe(pid);
      outcome = await queryWhileStopped(again, pid);
    } finally {
      again.release(true);
    }
    expect(outcome).toEqual(new Error(QUERY_READ_TIMEOUT));
  });

  it('is how the service pool watches its connections, after the client query timeout', async () => {
    const app = await startTestApp();
    try {
      const servicePool = poolOf(app.dataSource)!;
      expect(servicePool).toBeInstanceOf(ServicePool);
      const client = await servicePool.connect();
      try {
        const socket = socketOf(client);
        expect(socket.timeout).toBe(CLIENT_QUERY_TIMEOUT_MS);
        expect(socket.listenerCount('timeout')).toBe(1);
      } finally {
        client.release();
      }
    } finally {
      await app.close();
    }
  });
});
