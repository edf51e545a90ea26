import { randomUUID } from 'node:crypto';
import { blockedServiceBackend, holdOrderReference } from '../support/blocking';
import { HaProxy } from '../support/haproxy';
import { startReadyService } from '../support/service-process';
import { createDatabaseOn, TestDatabase } from '../support/test-database';
import { waitFor } from '../support/wait';
import { Answer, audit, createLoad, orderBody, signUp, tally } from './support/orders-client';
import { report } from './support/report';

type Replica = Awaited<ReturnType<typeof startReadyService>>;

/** Longer than HAProxy's checks need to take a replica out (2 failures, 250 ms apart). */
const SHUTDOWN_DELAY = '2s';

const replicaOn = (databaseUrl: string, port?: number) =>
  startReadyService(
    databaseUrl,
    { SHUTDOWN_DELAY, ...(port ? { PORT: String(port) } : {}) },
    'build',
  );

const status = (url: string) =>
  fetch(url).then(
    (response) => response.status,
    () => 0,
  );

/** What a client may retry: no answer, 503 with Retry-After, or 409 idempotency_key_in_use. */
const retryable = (answer: Answer) =>
  answer.status === 0 ||
  (answer.status === 503 && answer.retryAfter !== null) ||
  (answer.code === 'idempotency_key_in_use' && answer.retryAfter !== null);

/**
 * A create sent to `replica` that waits, in flight, on a row lock (an uncommitted order of the
 * same client reference) until `finish` rolls the blocker back; then resolves to its status.
 */
async function createInFlight(
  replica: Replica,
  databaseUrl: string,
  userId: string,
  token: string,
) {
  const reference = `in-flight-${randomUUID()}`;
  const blocker = await holdOrderReference(databaseUrl, userId, reference);
  const answer = fetch(`${replica.baseUrl}/api/orders`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Authorization: `Bearer ${token}`,
      'Idempotency-Key': randomUUID(),
    },
    body: JSON.stringify({ ...orderBody(), clientReference: reference }),
  }).then(
    (response) => response.status,
    () => 0,
  );
  await blockedServiceBackend(blocker.client);
  return {
    finish: async () => {
      await blocker.release();
      return answer;
    },
  };
}

/**
 * SIGTERM of `replica` with a create in flight: readiness goes 503 at once while it still serves,
 * then it stops accepting, the create in flight finishes (201), and it exits 0.
 */
async function drain(replica: Replica, databaseUrl: string, user: { id: string; token: string }) {
  const inFlight = await createInFlight(replica, databaseUrl, user.id, user.token);
  const termAt = Date.now();
  replica.child.kill('SIGTERM');
  await waitFor(
    'readiness 503',
    async () => (await status(`${replica.baseUrl}/health/ready`)) === 503,
    { every: 5 },
  );
  const notReadyMs = Date.now() - termAt;
  expect(await status(`${replica.baseUrl}/health/live`)).toBe(200); // still serving meanwhile
  await waitFor(
    'no longer accepting',
    async () => (await status(`${replica.baseUrl}/health/live`)) === 0,
    { ms: 10_000 },
  );
  const closedMs = Date.now() - termAt;
  expect(await inFlight.finish()).toBe(201);
  expect(await replica.exited).toBe(0);
  return { notReadyMs, closedMs, exitMs: Date.now() - termAt };
}

describe('faults: behind a load balancer (HAProxy), a rolling restart under retrying clients', () => {
  let database: TestDatabase;
  let replicas: Replica[] = [];
  let proxy: HaProxy | undefined;
  beforeAll(async () => {
    database = await createDatabaseOn(process.env.E2E_DATABASE_URL!);
  });
  afterAll(async () => {
    await proxy?.stop();
    for (const replica of replicas)
      if (replica.child.exitCode === null) replica.child.kill('SIGTERM');
    await Promise.all(replicas.map((replica) => replica.exited));
    await database.stop();
  });

  it('one replica SIGKILLed and restarted, another drained with SIGTERM and restarted: every key one order, only retryable answers', async () => {
    replicas = await Promise.all([1, 2, 3].map(() => replicaOn(database.url)));
    proxy = await HaProxy.start(replicas.map((replica) => replica.port));
    const { id: userId, token } = await signUp(proxy.baseUrl);
    const load = createLoad(() => proxy!.baseUrl, token, 4);
    const moreConfirmed = (n: number) => {
      const target = load.confirmed.size + n;
      return waitFor(`${n} more creates`, () => load.confirmed.size >= target, { ms: 30_000 });
    };
    try {
      await moreConfirmed(50);
      const [killed, drained] = replicas;
      killed.child.kill('SIGKILL');
      await killed.exited;
      replicas.push(await replicaOn(database.url, killed.port));
      await moreConfirmed(50);
      const drainFigures = await drain(drained, database.url, { id: userId, token });
      replicas.push(await replicaOn(database.url, drained.port));
      await moreConfirmed(50);
      await load.stop();
      const found = await audit(database.url, userId, load.confirmed);
      expect(found).toMatchObject({ duplicates: 0, lost: 0 });
      expect(found.orders).toBe(load.confirmed.size + 1); // and the drained replica's in-flight create
      const refused = load.answers.filter((answer) => answer.status !== 201);
      expect(refused.filter((answer) => !retryable(answer))).toEqual([]);
      report({
        scenario: 'HAProxy, 3 replicas: one SIGKILLed, one drained (rolling restart)',
        requests: load.answers.length,
        duplicates: found.duplicates,
        lost: found.lost,
        fiveHundreds: load.answers.filter((answer) => answer.status >= 500 && answer.status !== 503)
          .length,
        note:
          `${load.confirmed.size} keys, each one order; answers ${tally(load.answers)}; drained replica: ` +
          `readiness 503 after ${drainFigures.notReadyMs} ms, closed after ${drainFigures.closedMs} ms, ` +
          `in-flight create 201, exit 0 after ${drainFigures.exitMs} ms`,
      });
    } finally {
      await load.stop();
    }
  }, 120_000);
});
