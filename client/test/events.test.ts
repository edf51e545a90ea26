import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { OrderServiceClient, type StreamedEvent } from '../src/index.js';
import { ORDER, signedInUser } from './support/fixtures.js';
import { type FlakyProxy, startServiceBehindProxy } from './support/flaky-proxy.js';
import type { RunningService } from './support/service.js';

// The real service and PostgreSQL; the stream goes through a proxy that can cut its connection.
let service: RunningService;
let proxy: FlakyProxy;
let stop: (() => Promise<void>) | undefined;
before(async () => ({ service, proxy, stop } = await startServiceBehindProxy()));
after(() => stop?.());

/** The service's count of open streams, from its metrics. */
async function openStreams(): Promise<number> {
  const metrics = await (await fetch(`${service.baseUrl}/metrics`)).text();
  return Number(/^events_streams_open (\d+)$/m.exec(metrics)![1]);
}

/**
 * Waits until the service holds `count` open streams: a stream without a cursor starts at the
 * events committed when it is attached, so an event written before would not be its.
 */
async function untilOpen(count: number) {
  const deadline = Date.now() + 5_000;
  while ((await openStreams()) !== count && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(await openStreams(), count);
}

/** Collects what `events()` yields in the background until `stop`. */
function listen(client: OrderServiceClient) {
  const controller = new AbortController();
  const received: StreamedEvent[] = [];
  const done = (async () => {
    for await (const event of client.events({ signal: controller.signal, baseDelayMs: 20 }))
      received.push(event);
  })();
  const waitFor = async (count: number) => {
    const deadline = Date.now() + 10_000;
    while (received.length < count) {
      if (Date.now() > deadline) throw new Error(`${count} events: only ${received.length}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return received;
  };
  const stop = () => {
    controller.abort();
    return done;
  };
  return { received, waitFor, stop };
}

describe('events() against the service', () => {
  it('yields each event as it commits and, cut mid-stream, resumes with no loss and no repeat', async () => {
    const { accessToken } = await signedInUser(service.baseUrl);
    const direct = new OrderServiceClient({ baseUrl: service.baseUrl, accessToken });
    const viaProxy = new OrderServiceClient({ baseUrl: proxy.url, accessToken });
    const stream = listen(viaProxy);
    const orders: Awaited<ReturnType<typeof direct.createOrder>>[] = [];
    try {
      await untilOpen(1);
      // The first write it sees is the stream's start marker: let it through with a first event.
      orders.push(await direct.createOrder(ORDER));
      await stream.waitFor(1);
      proxy.failNextResponse('drop'); // the next event's bytes are lost with the connection
      orders.push(await direct.createOrder(ORDER), await direct.createOrder(ORDER));
      await stream.waitFor(3);
    } finally {
      await stream.stop(); // a stream left reconnecting would keep this file's process alive
    }
    const events = stream.received;
    assert.equal(proxy.faultsApplied(), 1);
    assert.deepEqual(
      events.map((e) => [e.event.type, e.event.subject]),
      orders.map((order) => ['order.created', order.data.id]),
    );
    const feed = await direct.raw.GET('/api/events', { params: { query: { limit: 100 } } });
    assert.deepEqual(
      events.map((e) => e.event),
      feed.data!.data.slice(1), // all but user.created, from before the stream opened
    );
    assert.equal(events[2]!.cursor, feed.data!.nextCursor);
  });

  it('ends at once when aborted or left, after a garbage collection too, and closes its connection', async () => {
    setFlagsFromString('--expose-gc');
    const collectGarbage = runInNewContext('gc') as () => void;
    const { accessToken } = await signedInUser(service.baseUrl);
    const client = new OrderServiceClient({ baseUrl: service.baseUrl, accessToken });
    const oneEventIn = async (signal?: AbortSignal) => {
      const iterator = client.events({ signal })[Symbol.asyncIterator]();
      const first = iterator.next();
      await untilOpen(1); // attached: the order's event is the stream's, not before its start
      await client.createOrder(ORDER);
      assert.equal((await first).done, false);
      return iterator;
    };
    const endedWithin = (ms: number, next: Promise<unknown>) =>
      Promise.race([
        next.then(() => 'ended'),
        new Promise((resolve) => setTimeout(resolve, ms, 'still open').unref()),
      ]);

    await untilOpen(0); // none left by the test before
    // Aborted while it waits for the next event, after the fetch's Request has been collected.
    const controller = new AbortController();
    const aborted = await oneEventIn(controller.signal);
    const waiting = aborted.next();
    collectGarbage();
    controller.abort();
    assert.equal(await endedWithin(3_000, waiting), 'ended');
    await untilOpen(0);

    // Left (`break`) after a collection: its connection is closed, so the service lets it go.
    const left = await oneEventIn();
    collectGarbage();
    await left.return(undefined);
    await untilOpen(0);
  });
});
