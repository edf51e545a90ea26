import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { Client } from 'pg';
import { blockedServiceBackend, holdOrderReference } from '../support/blocking';
import { PgBouncer } from '../support/pgbouncer';
import { startReadyService, stopService } from '../support/service-process';
import { createDatabaseOn, TestDatabase } from '../support/test-database';
import { waitFor } from '../support/wait';
import {
  Answer,
  audit,
  createOrder,
  createWithRetries,
  orderBody,
  signUp,
  tally,
  unexpected5xx,
} from './support/orders-client';
import { queryOn } from './support/jobs';
import { auditByReference, retriesThroughKills, stuckKeys } from './support/kills';
import { report } from './support/report';
import { serverHoldsConnection } from './support/sockets';

type Service = Awaited<ReturnType<typeof startReadyService>>;
/** Resolves once `confirmed` holds more orders than it does now: the clients got on. */
const moreConfirmed = (confirmed: Map<string, string>, since: string) => {
  const before = confirmed.size;
  return waitFor(`a create confirmed ${since}`, () => confirmed.size > before, { ms: 20_000 });
};

/**
 * Sends a create that waits on `blocker`'s uncommitted order of the same reference, and gives up
 * while the service waits; resolves once the service has closed its end of the connection.
 */
async function createThenDisconnect(
  service: Service,
  blocker: Client,
  headers: Record<string, string>,
  body: string,
) {
  const call = request(`${service.baseUrl}/api/orders`, { method: 'POST', headers });
  call.on('error', () => undefined);
  call.end(body);
  await blockedServiceBackend(blocker); // the insert waits on the blocker's row
  const clientPort = call.socket!.localPort!;
  call.destroy(); // the client gives up while the service is still working
  await waitFor(
    'the service to close the connection',
    () => !serverHoldsConnection(service.port, clientPort),
  );
}

/**
 * 200 creates with one key, spread over 3 service processes on `serviceUrl` (checked on
 * `databaseUrl`): one order, and every other answer that 201 or 409 in_use.
 */
async function sameKeyCreates(
  serviceUrl: string,
  databaseUrl: string,
  scenario: string,
  env: Record<string, string> = {},
) {
  const services = await Promise.all(
    [1, 2, 3].map(() => startReadyService(serviceUrl, env, 'build')),
  );
  try {
    const user = await signUp(services[0].baseUrl);
    const key = randomUUID();
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => createOrder(services[i % 3].baseUrl, user.token, key)),
    );
    const created = answers.filter((answer) => answer.status === 201);
    const inUse = answers.filter((answer) => answer.status === 409);
    expect(created.length + inUse.length).toBe(200);
    expect(new Set(created.map((answer) => answer.body)).size).toBe(1);
    for (const answer of inUse)
      expect([answer.code, Number(answer.retryAfter) > 0]).toEqual([
        'idempotency_key_in_use',
        true,
      ]);
    const found = await audit(
      databaseUrl,
      user.id,
      new Map([[key, JSON.parse(created[0].body).id as string]]),
    );
    expect(found).toMatchObject({ orders: 1, duplicates: 0, lost: 0 });
    report({
      scenario,
      requests: 200,
      duplicates: found.duplicates,
      lost: found.lost,
      fiveHundreds: unexpected5xx(answers).length,
      note: `${created.length} x 201, ${inUse.length} x 409`,
    });
  } finally {
    await Promise.all(services.map(stopService));
  }
}

describe('faults: replicas, crashes, terminated connections, disconnecting clients', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createDatabaseOn(process.env.E2E_DATABASE_URL!);
  });
  afterAll(() => database.stop());

  it('200 concurrent same-key creates over 3 processes make one order; answers are that 201 or 409 in_use', async () => {
    await sameKeyCreates(database.url, database.url, '200 same-key creates over 3 processes');
  });

  it('the same through PgBouncer in transaction pooling mode', async () => {
    const bouncer = await PgBouncer.start(process.env.E2E_DATABASE_URL!);
    try {
      await sameKeyCreates(
        bouncer.pooled(database.url),
        database.url,
        '200 same-key creates over 3 processes, through PgBouncer',
        { DATABASE_DIRECT_URL: database.url },
      );
    } finally {
      await bouncer.stop();
    }
  });

  it('a client retrying with the same key through 10 SIGKILLs and restarts loses and duplicates nothing, and leaves no key stuck', async () => {
    const live = { process: await startReadyService(database.url, {}, 'build') };
    const restart = (port: number) =>
      startReadyService(database.url, { PORT: String(port) }, 'build');
    const user = await signUp(live.process.baseUrl);
    let run: Awaited<ReturnType<typeof retriesThroughKills>>;
    let stuck: string[];
    try {
      run = await retriesThroughKills(live, restart, user.token, 10);
      stuck = await stuckKeys(live.process.baseUrl, user.token, run.givenUp);
    } finally {
      await stopService(live.process);
    }
    const { answers, confirmed } = run;
    const found = await audit(database.url, user.id, confirmed);
    const byReference = await auditByReference(
      database.url,
      'SELECT id, client_reference AS reference FROM orders WHERE user_id = $1',
      user.id,
      confirmed,
      stuck,
    );
    expect(unexpected5xx(answers)).toEqual([]);
    expect(found).toMatchObject({ duplicates: 0, lost: 0 });
    expect(byReference).toMatchObject({ duplicates: 0, lost: 0, stuck: 0 });
    expect(found.orders).toBe(found.keys);
    expect(confirmed.size).toBeGreaterThan(10);
    report({
      scenario: 'the service: client retries through 10 SIGKILL restarts',
      requests: answers.length,
      duplicates: found.duplicates,
      lost: found.lost,
      fiveHundreds: unexpected5xx(answers).length,
      note: `${confirmed.size} orders confirmed, ${run.givenUp.length} keys given up, ${stuck.length} stuck`,
    });
  }, 240_000); // ten kills and restarts, on a machine that may be loaded

  it('pg_terminate_backend of the service connections under load: the process survives, retries succeed, no duplicates', async () => {
    const service = await startReadyService(database.url, {}, 'build');
    const user = await signUp(service.baseUrl);
    const admin = new Client({ connectionString: database.url });
    await admin.connect();
    const answers: Answer[] = [];
    const confirmed = new Map<string, string>();
    let clientsRunning = true;
    const clients = Array.from({ length: 6 }, async () => {
      while (clientsRunning) {
        const { key, order } = await createWithRetries(
          () => service.baseUrl,
          user.token,
          Date.now() + 30_000,
          answers,
        );
        if (order) confirmed.set(key, order);
      }
    });
    try {
      for (let round = 0; round < 10; round++) {
        await moreConfirmed(confirmed, 'since the last termination'); // connections in use again
        await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'order-service'`,
        );
      }
      await moreConfirmed(confirmed, 'after the last termination');
    } finally {
      clientsRunning = false;
      await Promise.all(clients);
      await admin.end();
    }
    expect(service.child.exitCode).toBeNull(); // it survived
    await stopService(service);
    const found = await audit(database.url, user.id, confirmed);
    expect(unexpected5xx(answers)).toEqual([]);
    expect(found).toMatchObject({ duplicates: 0, lost: 0 });
    report({
      scenario: 'pg_terminate_backend x10 under load',
      requests: answers.length,
      duplicates: found.duplicates,
      lost: found.lost,
      fiveHundreds: unexpected5xx(answers).length,
      note: tally(answers),
    });
  });

  it('a client that disconnects before its answer: the create commits once and the retry replays it', async () => {
    const service = await startReadyService(database.url, {}, 'build');
    try {
      const user = await signUp(service.baseUrl);
      const reference = `disconnect-${randomUUID()}`;
      // The service's insert of the same reference waits on this until it is released.
      const blocker = await holdOrderReference(database.url, user.id, reference);
      const key = randomUUID();
      const headers = {
        'Content-Type': 'application/json',
        Authorization: `Bearer ${user.token}`,
        'Idempotency-Key': key,
      };
      const body = JSON.stringify({ ...orderBody(), clientReference: reference });
      await createThenDisconnect(service, blocker.client, headers, body);
      await blocker.release();
      const committed = async () =>
        (
          await queryOn(database.url, 'SELECT 1 FROM orders WHERE client_reference = $1', [
            reference,
          ])
        ).length === 1;
      await waitFor('the create to commit', committed);

      const retry = await fetch(`${service.baseUrl}/api/orders`, { method: 'POST', headers, body });
      expect([retry.status, retry.headers.get('idempotent-replayed')]).toEqual([201, 'true']);
      const found = await audit(
        database.url,
        user.id,
        new Map([[key, ((await retry.json()) as { id: string }).id]]),
      );
      expect(found).toMatchObject({ orders: 1, duplicates: 0, lost: 0 });
      report({
        scenario: 'client disconnects before its answer',
        requests: 2,
        duplicates: found.duplicates,
        lost: found.lost,
        fiveHundreds: 0,
      });
    } finally {
      await stopService(service);
    }
  });
});
