import { performance } from 'node:perf_hooks';
import { setTimeout } from 'node:timers/promises';
import { connect } from 'nats';
import { Client } from 'pg';
import { POLL_EVERY_MS as SEQUENCER_POLL_MS } from '../src/events/event-sequencer';
import { OwnNatsServer, ownStream } from '../test/support/nats';
import { openStream } from '../test/support/event-stream';
import { COUNT_UNPUBLISHED_EVENTS } from '../test/support/outbox';
import { waitFor } from '../test/support/wait';
import { Fixture, ORDER } from './fixture';
import { compare, measure, percentile, Target } from './measure';
import { hold, Process, release, startService } from './processes';
import { walPosition, walSince } from './wal';
import { BenchReport } from './report';

/** Creates timed one after the other, idle, from their 201 to their event's delivery. */
const LATENCY_CREATES = Number(process.env.BENCH_EVENTS_CREATES ?? 200);
/** How long creates pile events up while the relay is stopped, for its catch-up rate. */
const BACKLOG_SECONDS = 5;
const CONNECTIONS = 10;

const unpublished = async (db: Client) =>
  Number((await db.query(COUNT_UNPUBLISHED_EVENTS)).rows[0].n);

const drained = (db: Client) =>
  waitFor('the outbox drained', async () => (await unpublished(db)) === 0, {
    ms: 300_000,
    every: 20,
  });

/**
 * One create after a pause of up to one sequencer poll (creates sent the moment the last event
 * arrived lock onto the polls' phase, and the latency then says more of that phase than of the
 * service): its order's id and when its 201 came.
 */
async function pausedCreate(baseUrl: string, auth: Record<string, string>) {
  await setTimeout(Math.random() * SEQUENCER_POLL_MS);
  const response = await fetch(`${baseUrl}/api/orders`, {
    method: 'POST',
    headers: { ...auth, 'Idempotency-Key': crypto.randomUUID() },
    body: ORDER,
  });
  const answeredAt = performance.now();
  const answeredAtMs = Date.now();
  const { id } = (await response.json()) as { id: string };
  return { id, answeredAt, answeredAtMs };
}

/**
 * Each order's 201 (from `publishing`) to its `order.created` reaching a NATS subscriber, and to
 * its arrival on an SSE stream held open at another replica (`streaming`), in ms.
 */
async function commitToDelivery(
  publishing: Process,
  streaming: Process,
  natsUrl: string,
  prefix: string,
  auth: Record<string, string>,
) {
  const connection = await connect({ servers: natsUrl });
  const arrived = new Map<string, number>();
  connection.subscribe(`${prefix}.order.created`, {
    callback: (_error, message) =>
      arrived.set(message.json<{ subject: string }>().subject, performance.now()),
  });
  await connection.flush();
  const stream = await openStream(streaming.baseUrl, '/api/events/stream', auth);
  const lags: number[] = [];
  const sseLags: number[] = [];
  for (let i = 0; i < LATENCY_CREATES; i++) {
    const { id, answeredAt, answeredAtMs } = await pausedCreate(publishing.baseUrl, auth);
    const at = await waitFor('the event', () => arrived.get(id), { ms: 10_000, every: 1 });
    lags.push(Math.max(0, at - answeredAt));
    const streamed = await waitFor(
      'the event on the stream',
      () => stream.events().find((event) => event.data.subject === id),
      { ms: 10_000, every: 1 },
    );
    sseLags.push(Math.max(0, streamed.at - answeredAtMs));
  }
  stream.close();
  await connection.close();
  return { nats: lags.sort((a, b) => a - b), sse: sseLags.sort((a, b) => a - b) };
}

const percentiles = (lags: number[]) => ({
  creates: lags.length,
  p50: percentile(lags, 0.5),
  p99: percentile(lags, 0.99),
  max: percentile(lags, 1),
});

/** The two set-ups: a service publishing to NATS, and one writing the outbox only. */
interface Setup {
  db: Client;
  publishing: Process;
  outboxOnly: Process;
}

/** Creates at each set-up, alternated; the publishing one is stopped during the others' passes. */
async function createsWithAndWithoutRelay(report: BenchReport, create: Target, s: Setup) {
  const withNats: Target = {
    ...create,
    name: 'create, relay publishing',
    url: `${s.publishing.baseUrl}/api/orders`,
    before: async () => (release(s.publishing), void (await drained(s.db))),
  };
  const outbox: Target = {
    ...create,
    name: 'create, outbox only',
    url: `${s.outboxOnly.baseUrl}/api/orders`,
    before: async () => hold(s.publishing),
  };
  const measured = await compare([withNats, outbox], CONNECTIONS);
  release(s.publishing);
  report.add('create with events (NATS)', CONNECTIONS, measured, { 'create, outbox only': null });
  await drained(s.db);
  return outbox;
}

/**
 * Creates pile events up while the relay is stopped; then the time it takes to publish them, and
 * the WAL PostgreSQL writes meanwhile a published event (the other replica numbers them first).
 */
async function catchUp(report: BenchReport, outbox: Target, s: Setup) {
  hold(s.publishing);
  await measure({ ...outbox, before: undefined }, CONNECTIONS, BACKLOG_SECONDS);
  await waitFor('the backlog numbered', async () => {
    const { rows } = await s.db.query('SELECT 1 FROM events_pending LIMIT 1');
    return rows.length === 0;
  });
  const backlog = await unpublished(s.db);
  const wal = await walPosition(s.db);
  const started = performance.now();
  release(s.publishing);
  await drained(s.db);
  const seconds = (performance.now() - started) / 1000;
  report.check('events: relay catch-up', {
    backlog,
    seconds: Math.round(seconds * 10) / 10,
    eventsPerSecond: Math.round(backlog / seconds),
    walBytesPerEvent: Math.round((await walSince(s.db, wal)) / backlog),
  });
}

/**
 * The events phase: creates with the relay publishing to NATS against the outbox alone,
 * commit-to-delivery latency when idle (NATS and SSE), and the relay's catch-up rate on a backlog.
 */
export async function measureEvents(
  databaseUrl: string,
  db: Client,
  report: BenchReport,
  f: Fixture,
  create: Target,
) {
  const nats = await OwnNatsServer.start();
  const names = ownStream();
  const base = { WORKER_CONCURRENCY: '0' };
  const outboxOnly = await startService(databaseUrl, base);
  const publishing = await startService(databaseUrl, { ...base, NATS_URL: nats.url, ...names });
  const setup = { db, publishing, outboxOnly };
  try {
    await drained(db); // what earlier phases wrote
    const outbox = await createsWithAndWithoutRelay(report, create, setup);
    const prefix = names.NATS_SUBJECT_PREFIX;
    const lags = await commitToDelivery(publishing, outboxOnly, nats.url, prefix, f.auth);
    report.check('events: 201 to NATS subscriber, idle (ms)', percentiles(lags.nats));
    report.check('events: 201 to SSE at another replica, idle (ms)', percentiles(lags.sse));
    await catchUp(report, outbox, setup);
  } finally {
    release(publishing);
    await publishing.stop();
    await outboxOnly.stop();
    await nats.stop();
  }
}
