import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { blockedServiceBackends } from '../support/blocking';
import { isRunning, startReadyService } from '../support/service-process';
import { EmbeddedServerProcess, spawnEmbeddedServer } from '../support/embedded-server';
import { createDatabaseOn, TestDatabase, traversableTempDir } from '../support/test-database';
import { waitFor } from '../support/wait';
import {
  Answer,
  audit,
  createOrder,
  createWithRetries,
  signUp,
  unexpected5xx,
} from './support/orders-client';
import { report } from './support/report';

type Service = Awaited<ReturnType<typeof startReadyService>>;

/** Client loops that create orders with retries until stopped; what they saw, and what they got. */
function startClients(target: () => string, token: string, count: number) {
  const seen: Answer[][] = Array.from({ length: count }, () => []); // each client's, as they come
  const confirmed = new Map<string, string>();
  let running = true;
  const loops = seen.map(async (answers) => {
    while (running) {
      const { key, order } = await createWithRetries(target, token, Date.now() + 30_000, answers);
      if (order) confirmed.set(key, order);
    }
  });
  return {
    get answers() {
      return seen.flat();
    },
    /** Whether every client has had an answer that `matches`. */
    everyClient: (matches: (answer: Answer) => boolean) => seen.every((own) => own.some(matches)),
    confirmed,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}
type Clients = ReturnType<typeof startClients>;
/** A 201, after `since` if given. */
const created =
  (since = 0) =>
  (answer: Answer) =>
    answer.status === 201 && answer.at > since;

describe('faults: PostgreSQL restarted under load', () => {
  const dataDir = traversableTempDir('order-service-restarts-');
  let server: EmbeddedServerProcess;
  let service: Service;
  beforeAll(async () => {
    server = await spawnEmbeddedServer(dataDir);
    service = await startReadyService(server.url, {}, 'build');
  });
  afterAll(async () => {
    service.child.kill('SIGTERM');
    await service.exited;
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const postmasterPid = () =>
    Number(readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);

  /**
   * After the shutdown, how long a create that committed before it may still take to be answered
   * 201 (a loaded machine answers late); answers after it must be 503.
   */
  const IN_FLIGHT_GRACE_MS = 1_000;

  /**
   * Stops PostgreSQL with `shutDown` under the clients' load and starts it again: when it went
   * down, when it was restarted, and how soon after that a create was confirmed.
   */
  const restartUnderLoad = async (clients: Clients, shutDown: () => Promise<void>) => {
    await waitFor('every client creating orders', () => clients.everyClient(created()));
    await shutDown();
    // Down from when the server has exited: an answer to a request it committed just before
    // the signal may still be on its way back, and is a correct 201.
    const downAt = Date.now();
    await waitFor('every client answered while down', () =>
      clients.everyClient((answer) => answer.at > downAt + IN_FLIGHT_GRACE_MS),
    );
    const port = Number(new URL(server.url).port);
    // Down until the new server is spawned: it accepts connections a little before the spawn
    // resolves, and a create (one statement) can complete in that moment.
    const restartAt = Date.now();
    server = await spawnEmbeddedServer(dataDir, port);
    const upAt = Date.now();
    const before = clients.confirmed.size;
    await waitFor('a create confirmed after the restart', () => clients.confirmed.size > before, {
      every: 20,
    });
    const recoveryMs = Date.now() - upAt;
    await waitFor('every client creating again', () => clients.everyClient(created(upAt)));
    return { downAt, restartAt, recoveryMs };
  };

  it.each([
    ['fast', async () => server.stop()],
    [
      'immediate',
      async () => {
        const pid = postmasterPid();
        process.kill(pid, 'SIGQUIT'); // PostgreSQL's immediate shutdown
        await waitFor('the postmaster to exit', () => !isRunning(pid), { every: 20 });
        await server.stop();
      },
    ],
  ])(
    '%s shutdown: only 503 with Retry-After while down, recovery within 5 s, no duplicates',
    async (mode, shutDown) => {
      const user = await signUp(service.baseUrl);
      const clients = startClients(() => service.baseUrl, user.token, 4);
      const { downAt, restartAt, recoveryMs } = await restartUnderLoad(clients, shutDown).finally(
        () => clients.stop(),
      );

      const whileDown = clients.answers.filter(
        (answer) => answer.at > downAt + IN_FLIGHT_GRACE_MS && answer.at < restartAt,
      );
      expect(whileDown.length).toBeGreaterThan(0);
      for (const answer of whileDown)
        expect([answer.status, Number(answer.retryAfter) > 0]).toEqual([503, true]);
      expect(unexpected5xx(clients.answers)).toEqual([]);
      expect(recoveryMs).toBeLessThan(5_000);
      const found = await audit(server.url, user.id, clients.confirmed);
      expect(found).toMatchObject({ duplicates: 0, lost: 0 });
      report({
        scenario: `PostgreSQL ${mode} restart under load`,
        requests: clients.answers.length,
        duplicates: found.duplicates,
        lost: found.lost,
        fiveHundreds: unexpected5xx(clients.answers).length,
        note: `${whileDown.length} x 503 while down; first 201 ${recoveryMs} ms after restart`,
      });
    },
  );
});

describe('faults: a slow database (a held lock) with more requests than the pool', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createDatabaseOn(process.env.E2E_DATABASE_URL!);
  });
  afterAll(() => database.stop());

  it('ends every wait in 409/503 within bounds, keeps serving health, and recovers with flat memory', async () => {
    const poolSize = 10;
    const env = { DATABASE_POOL_SIZE: String(poolSize) };
    const service = await startReadyService(database.url, env, 'build');
    const rssOf = () =>
      Number(
        /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${service.child.pid}/status`, 'utf8'))![1],
      ) * 1024;
    try {
      const user = await signUp(service.baseUrl);
      const confirmed = new Map<string, string>();
      const confirm = (key: string, answer: Answer) => {
        expect(answer.status).toBe(201);
        confirmed.set(key, (JSON.parse(answer.body) as { id: string }).id);
      };
      confirm('warm-up', await createOrder(service.baseUrl, user.token, 'warm-up'));
      const rssBefore = rssOf();
      const locker = new Client({ connectionString: database.url });
      await locker.connect();
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE orders IN ACCESS EXCLUSIVE MODE'); // every order insert now waits
      const started = Date.now();
      const pending = Array.from({ length: 60 }, (_, i) =>
        createOrder(service.baseUrl, user.token, `slow-${i}`, 30_000).then((answer) => ({
          ...answer,
          ms: Date.now() - started,
        })),
      );
      // Order creates hold at most CREATE_CONCURRENCY (2) connections: the first statement waits on
      // the lock, a second starts beside it 20 ms later and waits too, and the other creates wait
      // at the process, each for at most the pool's 3 s.
      await blockedServiceBackends(locker, 2);
      const live = await fetch(`${service.baseUrl}/health/live`);
      const answers = await Promise.all(pending);
      await locker.query('ROLLBACK');
      await locker.end();

      expect(live.status).toBe(200);
      expect(answers.every((answer) => [409, 503].includes(answer.status))).toBe(true);
      expect(Math.max(...answers.map((answer) => answer.ms))).toBeLessThan(15_000);
      confirm('after-the-lock', await createOrder(service.baseUrl, user.token, 'after-the-lock'));
      const found = await audit(database.url, user.id, confirmed);
      expect(found).toMatchObject({ orders: 2, duplicates: 0, lost: 0 }); // the refused ones left nothing
      const growth = rssOf() - rssBefore;
      expect(growth).toBeLessThan(64 * 1024 * 1024);
      report({
        scenario: 'held table lock, 60 requests on a pool of 10',
        requests: answers.length + 2,
        duplicates: found.duplicates,
        lost: found.lost,
        fiveHundreds: unexpected5xx(answers).length,
        note: `slowest answer ${Math.max(...answers.map((a) => a.ms))} ms; RSS growth ${(growth / 1048576).toFixed(1)} MiB`,
      });
    } finally {
      service.child.kill('SIGTERM');
      await service.exited;
    }
  });
});
