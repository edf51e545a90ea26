// `npm run bench:streams`: what idle event streams cost one service process. Opens BENCH_STREAMS
// streams (BENCH_STREAM_USERS users, the streams shared out among them), and reports the process's
// RSS and its database connections before and after, then times one event per user to every one
// of that user's streams.
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { signUp } from '../test/faults/support/orders-client';
import { openStream, OpenStream } from '../test/support/event-stream';
import { waitFor } from '../test/support/wait';
import { ORDER } from './fixture';
import { benchDatabase, Process, startService } from './processes';

const STREAMS = Number(process.env.BENCH_STREAMS ?? 2_000);
const USERS = Number(process.env.BENCH_STREAM_USERS ?? 100);

/** The service's sessions on its database (pool and LISTEN), not counting this one. */
async function serviceConnections(db: Client): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid()`,
  );
  return Number(rows[0].n);
}

/** RSS after a pause, once what was just done has settled. */
async function settledRss(service: Process): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  return service.rssMiB();
}

async function openAll(service: Process, users: { token: string }[]) {
  const streams: { user: number; stream: OpenStream }[] = [];
  for (let i = 0; i < STREAMS; i += 100) {
    const batch = Array.from({ length: Math.min(100, STREAMS - i) }, (_, j) => (i + j) % USERS);
    const opened = await Promise.all(
      batch.map((user) =>
        openStream(service.baseUrl, '/api/events/stream', {
          Authorization: `Bearer ${users[user].token}`,
        }),
      ),
    );
    opened.forEach((stream, j) => streams.push({ user: batch[j], stream }));
  }
  if (streams.some(({ stream }) => stream.status !== 200)) throw new Error('a stream was refused');
  return streams;
}

/** One order per user at once; ms from each 201 to the event at each of that user's streams. */
async function deliveryLatencies(
  service: Process,
  users: { token: string }[],
  streams: { user: number; stream: OpenStream }[],
) {
  const committed = await Promise.all(
    users.map(async ({ token }) => {
      const response = await fetch(`${service.baseUrl}/api/orders`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${token}`,
          'Content-Type': 'application/json',
          'Idempotency-Key': randomUUID(),
        },
        body: ORDER,
      });
      if (response.status !== 201) throw new Error(`create answered ${response.status}`);
      return Date.now();
    }),
  );
  await Promise.all(streams.map(({ stream }) => stream.waitForEvents(1, 30_000)));
  return streams
    .map(({ user, stream }) => stream.events()[0].at - committed[user])
    .sort((a, b) => a - b);
}

async function main() {
  const database = await benchDatabase();
  const db = new Client({ connectionString: database.url });
  await db.connect();
  const service = await startService(database.url, { WORKER_CONCURRENCY: '0' });
  try {
    const users = await Promise.all(Array.from({ length: USERS }, () => signUp(service.baseUrl)));
    const before = { rss: await settledRss(service), connections: await serviceConnections(db) };
    const started = Date.now();
    const streams = await openAll(service, users);
    const openMs = Date.now() - started;
    const after = { rss: await settledRss(service), connections: await serviceConnections(db) };
    const latencies = await deliveryLatencies(service, users, streams);
    const at = (q: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
    console.log(`streams: ${streams.length} open (${USERS} users), opened in ${openMs} ms`);
    console.log(
      `RSS: ${before.rss.toFixed(1)} MiB before, ${after.rss.toFixed(1)} MiB with them open (+${(((after.rss - before.rss) * 1024) / STREAMS).toFixed(1)} KiB a stream)`,
    );
    console.log(
      `database connections of the service: ${before.connections} before, ${after.connections} with them open`,
    );
    console.log(
      `delivery, one order per user at once, 201 to each stream: p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${latencies[latencies.length - 1]} ms`,
    );
    streams.forEach(({ stream }) => stream.close());
    await waitFor(
      'streams closed',
      async () => {
        const metrics = await (await fetch(`${service.baseUrl}/metrics`)).text();
        return /^events_streams_open 0$/m.test(metrics);
      },
      { ms: 30_000 },
    );
  } finally {
    await service.stop();
    await db.end();
    await database.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
