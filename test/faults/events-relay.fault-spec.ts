import { rmSync } from 'node:fs';
import { EmbeddedServerProcess, spawnEmbeddedServer } from '../support/embedded-server';
import { OwnNatsServer, ownStream } from '../support/nats';
import { startReadyService, startReadyWorker, stopService } from '../support/service-process';
import { createDatabaseOn, TestDatabase, traversableTempDir } from '../support/test-database';
import { waitFor } from '../support/wait';
import { PublishCounter, relayAudit, unpublishedCount } from './support/events';
import { queryOn } from './support/jobs';
import { createLoad, signUp, tally, unexpected5xx } from './support/orders-client';
import { report } from './support/report';

const publishedCount = async (databaseUrl: string) =>
  Number(
    (
      await queryOn<{ n: string }>(
        databaseUrl,
        `SELECT count(*) AS n FROM events
          WHERE position <= (SELECT published_through FROM event_relay_progress)`,
      )
    )[0].n,
  );

/**
 * Checks and prints one scenario: every event stored once and in position order, every order with
 * its event.
 */
async function expectEveryEventOnce(
  scenario: string,
  databaseUrl: string,
  nats: OwnNatsServer,
  names: ReturnType<typeof ownStream>,
  counter: PublishCounter,
  note = '',
) {
  const audit = await relayAudit(databaseUrl, nats.url, names.NATS_STREAM);
  expect(audit).toMatchObject({ lost: 0, storedTwice: 0, outOfOrder: 0, stored: audit.events });
  expect(audit.orderEvents).toBe(audit.orders);
  report({
    scenario,
    requests: audit.events,
    duplicates: audit.storedTwice,
    lost: audit.lost,
    fiveHundreds: 0,
    note:
      `${audit.events} events, ${counter.publishes} publishes seen, ` +
      `${Math.max(0, counter.publishes - audit.stored)} repeats dropped by JetStream, ` +
      `max publish lag ${audit.maxLagMs} ms${note}`,
  });
}

describe('faults: the events relay to NATS JetStream', () => {
  let database: TestDatabase;
  let nats: OwnNatsServer;
  let counter: PublishCounter;
  const names = ownStream();
  beforeEach(async () => {
    database = await createDatabaseOn(process.env.E2E_DATABASE_URL!);
    nats = await OwnNatsServer.start();
    counter = await PublishCounter.on(nats.url, names.NATS_SUBJECT_PREFIX);
  });
  afterEach(async () => {
    await counter.close();
    await nats.stop();
    await database.stop();
  });
  const natsEnv = () => ({ NATS_URL: nats.url, ...names });

  it('the relay’s process SIGKILLed 5 times while it publishes under create load: every event stored once', async () => {
    // The API relays nothing (no NATS_URL); the worker process is the relay, and is killed.
    const api = await startReadyService(database.url, { WORKER_CONCURRENCY: '0' }, 'build');
    const { token } = await signUp(api.baseUrl);
    const load = createLoad(() => api.baseUrl, token);
    // The relay of the moment: stopped at the end whatever fails, so none outlives the test.
    let relay: Awaited<ReturnType<typeof startReadyWorker>> | null = null;
    try {
      for (let round = 0; round < 5; round++) {
        relay = await startReadyWorker(database.url, natsEnv());
        const before = await publishedCount(database.url);
        await waitFor(
          'the relay publishing',
          async () => (await publishedCount(database.url)) > before + 5,
          {
            ms: 30_000,
            every: 5,
          },
        );
        relay.child.kill('SIGKILL');
        await relay.exited;
      }
      await load.stop();
      relay = await startReadyWorker(database.url, natsEnv());
      await expectEveryEventOnce(
        'events relay SIGKILLed 5 times',
        database.url,
        nats,
        names,
        counter,
      );
      expect(unexpected5xx(load.answers)).toEqual([]);
    } finally {
      await load.stop();
      if (relay) await stopService(relay);
      await stopService(api);
    }
  }, 180_000);

  it('NATS stopped for 10 s under create load: creates all succeed, the service stays ready, and the backlog is published once NATS is back', async () => {
    const api = await startReadyService(database.url, natsEnv(), 'build');
    const { token } = await signUp(api.baseUrl);
    const load = createLoad(() => api.baseUrl, token);
    try {
      await waitFor('events published', async () => (await publishedCount(database.url)) > 20, {
        ms: 30_000,
      });
      await nats.stop();
      const down = { at: Date.now(), answers: load.answers.length, confirmed: load.confirmed.size };
      await waitFor(
        '10 s of NATS down',
        async () => {
          expect((await fetch(`${api.baseUrl}/health/ready`)).status).toBe(200);
          return Date.now() - down.at >= 10_000;
        },
        { ms: 15_000, every: 500 },
      );
      const outage = load.answers.slice(down.answers);
      const createdWhileDown = load.confirmed.size - down.confirmed;
      await nats.resume();
      const backAt = Date.now();
      await load.stop();
      expect(outage.filter((answer) => answer.status !== 201)).toEqual([]);
      expect(createdWhileDown).toBeGreaterThan(0);
      await waitFor(
        'the backlog published',
        async () => (await unpublishedCount(database.url)) === 0,
        {
          ms: 60_000,
        },
      );
      const caughtUpMs = Date.now() - backAt;
      await expectEveryEventOnce(
        'NATS stopped 10 s under create load',
        database.url,
        nats,
        names,
        counter,
        `; ${createdWhileDown} creates while NATS was down (${tally(outage)}); all published ${caughtUpMs} ms after NATS returned`,
      );
    } finally {
      await load.stop();
      await stopService(api);
    }
  }, 120_000);
});

describe('faults: the events relay while PostgreSQL restarts', () => {
  const dataDir = traversableTempDir('order-service-relay-restarts-');
  const names = ownStream();
  let server: EmbeddedServerProcess | undefined;
  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('PostgreSQL restarted under create load: every event of every committed create reaches JetStream once', async () => {
    const nats = await OwnNatsServer.start();
    const counter = await PublishCounter.on(nats.url, names.NATS_SUBJECT_PREFIX);
    server = await spawnEmbeddedServer(dataDir);
    const api = await startReadyService(server.url, { NATS_URL: nats.url, ...names }, 'build');
    const { token } = await signUp(api.baseUrl);
    const load = createLoad(() => api.baseUrl, token);
    try {
      await waitFor('events published', async () => (await publishedCount(server!.url)) > 20, {
        ms: 30_000,
      });
      const port = Number(new URL(server.url).port);
      await server.stop();
      server = await spawnEmbeddedServer(dataDir, port);
      const confirmedAtRestart = load.confirmed.size;
      await waitFor('creates again', () => load.confirmed.size > confirmedAtRestart + 10, {
        ms: 60_000,
      });
      await load.stop();
      expect(unexpected5xx(load.answers)).toEqual([]);
      await expectEveryEventOnce(
        'events relay, PostgreSQL restarted',
        server.url,
        nats,
        names,
        counter,
        `; clients saw ${tally(load.answers)}`,
      );
    } finally {
      await load.stop();
      await stopService(api);
      await counter.close();
      await nats.stop();
    }
  }, 180_000);
});
