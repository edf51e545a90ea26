import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../src/index.js';
import { type OpenStream, type StreamedEvent, streamEvents } from '../src/event-stream.js';

const FAST = { baseDelayMs: 1, maxDelayMs: 5 };

const cloudEvent = (n: number) => ({
  specversion: '1.0',
  id: `event-${n}`,
  source: 'order-service',
  type: 'order.created',
  subject: `order-${n}`,
  time: new Date(0).toISOString(),
  datacontenttype: 'application/json',
  data: { n },
});

/** An SSE message as the service writes it (`data:` the JSON on one line). */
const message = (n: number) =>
  `id: c${n}\nevent: order.created\ndata: ${JSON.stringify(cloudEvent(n))}\n\n`;

/**
 * A body that sends `chunks` (split anywhere, as TCP may), then fails like a cut connection
 * (`cut`) or stays open until the request is aborted.
 */
function body(
  chunks: string[],
  end: 'cut' | 'open',
  signal: AbortSignal,
): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder();
  const left = [...chunks];
  return new ReadableStream({
    start(controller) {
      signal.addEventListener('abort', () => controller.error(signal.reason), { once: true });
    },
    // One chunk per read, so that each is read before the cut (an error drops what is queued).
    pull(controller) {
      const chunk = left.shift();
      if (chunk !== undefined) controller.enqueue(bytes.encode(chunk));
      else if (end === 'cut') controller.error(new TypeError('terminated'));
      else return new Promise(() => undefined); // open: nothing more until the abort
    },
  });
}

const stream = (chunks: string[], end: 'cut' | 'open', signal: AbortSignal) =>
  new Response(body(chunks, end, signal), { headers: { 'Content-Type': 'text/event-stream' } });

/**
 * A body that ignores the request's signal, as Node's fetch's does once its Request has been
 * garbage collected: only a cancel of the body ends it.
 */
function deafStream(chunks: string[]) {
  const bytes = new TextEncoder();
  const left = [...chunks];
  let cancels = 0;
  const readable = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = left.shift();
      if (chunk !== undefined) controller.enqueue(bytes.encode(chunk));
      else return new Promise(() => undefined); // silent, for good
    },
    cancel() {
      cancels++;
    },
  });
  const response = new Response(readable, { headers: { 'Content-Type': 'text/event-stream' } });
  return { response, cancels: () => cancels };
}

async function take(events: AsyncGenerator<StreamedEvent>, count: number) {
  const taken: StreamedEvent[] = [];
  for await (const event of events) {
    taken.push(event);
    if (taken.length === count) break; // ends the generator: its connection is closed
  }
  return taken;
}

describe('events(): the stream over fetch', () => {
  it('parses messages split across chunks, skips the start marker and heartbeats, and resumes after a cut from the last id', async () => {
    const asked: (string | undefined)[] = [];
    const whole = `id: c0\nevent: start\ndata:\n\n${message(1)}: heartbeat\n\n${message(2)}`;
    const open: OpenStream = async (lastEventId, signal) => {
      asked.push(lastEventId);
      if (asked.length === 1)
        return stream([whole.slice(0, 40), whole.slice(40, 200), whole.slice(200)], 'cut', signal);
      return stream([`id: c2\nevent: start\ndata:\n\n`, message(3)], 'open', signal);
    };
    const events = await take(streamEvents(open, FAST), 3);
    assert.deepEqual(
      events.map((e) => [e.cursor, e.event.subject]),
      [
        ['c1', 'order-1'],
        ['c2', 'order-2'],
        ['c3', 'order-3'],
      ],
    );
    assert.deepEqual(events[0]!.event, cloudEvent(1));
    assert.deepEqual(asked, [undefined, 'c2']);
  });

  it('a stream cut before its first event resumes from its start marker, not from a later now', async () => {
    const asked: (string | undefined)[] = [];
    const open: OpenStream = async (lastEventId, signal) => {
      asked.push(lastEventId);
      if (asked.length === 1) return stream(['id: c7\nevent: start\ndata:\n\n'], 'cut', signal);
      return stream([message(8)], 'open', signal);
    };
    await take(streamEvents(open, { ...FAST, after: 'c5' }), 1);
    assert.deepEqual(asked, ['c5', 'c7']);
  });

  it("retries 503 and a gateway's 502 and 504, rejects on 401 with the ApiError, and ends quietly on abort", async () => {
    let calls = 0;
    const refusals = [
      Response.json({ status: 503, code: 'service_unavailable' }, { status: 503 }),
      new Response('<html>502 Bad Gateway</html>', { status: 502 }),
      new Response(null, { status: 504 }),
    ];
    const unavailable: OpenStream = async (_id, signal) =>
      ++calls <= refusals.length ? refusals[calls - 1]! : stream([message(1)], 'open', signal);
    assert.equal((await take(streamEvents(unavailable, FAST), 1)).length, 1);
    assert.equal(calls, 4);

    const unauthorized: OpenStream = async () =>
      Response.json({ status: 401, code: 'unauthorized', detail: 'no' }, { status: 401 });
    await assert.rejects(
      take(streamEvents(unauthorized, FAST), 1),
      (e) => e instanceof ApiError && e.code === 'unauthorized',
    );

    const controller = new AbortController();
    const quiet: OpenStream = async (_id, signal) => stream([message(1)], 'open', signal);
    const seen: StreamedEvent[] = [];
    for await (const event of streamEvents(quiet, { ...FAST, signal: controller.signal })) {
      seen.push(event);
      controller.abort();
    }
    assert.equal(seen.length, 1);
  });

  it('replaces a connection that falls silent for idleTimeoutMs', async () => {
    const asked: (string | undefined)[] = [];
    const open: OpenStream = async (lastEventId, signal) => {
      asked.push(lastEventId);
      return stream(asked.length === 1 ? [message(1)] : [message(2)], 'open', signal);
    };
    const events = await take(streamEvents(open, { ...FAST, idleTimeoutMs: 50 }), 2);
    assert.deepEqual(
      events.map((e) => e.cursor),
      ['c1', 'c2'],
    );
    assert.deepEqual(asked, [undefined, 'c1']);
  });

  it('cancels a body deaf to the signal itself: replaced when silent, ended on abort and when left', async () => {
    const opened: ReturnType<typeof deafStream>[] = [];
    const open: OpenStream = async () => {
      const n = opened.length + 1;
      opened.push(deafStream([`id: c${n - 1}\nevent: start\ndata:\n\n`, message(n)]));
      return opened[n - 1]!.response;
    };
    const controller = new AbortController();
    const settings = { ...FAST, idleTimeoutMs: 50, signal: controller.signal };
    const events = streamEvents(open, settings)[Symbol.asyncIterator]();
    assert.equal((await events.next()).value?.cursor, 'c1');
    // The first connection falls silent: cancelled at the idle timeout, and replaced.
    assert.equal((await events.next()).value?.cursor, 'c2');
    assert.equal(opened[0]!.cancels(), 1);
    const waiting = events.next();
    controller.abort();
    assert.deepEqual(await waiting, { done: true, value: undefined });
    assert.equal(opened[1]!.cancels(), 1);

    await take(streamEvents(open, FAST), 1); // left after its first event
    assert.equal(opened[2]!.cancels(), 1);
  });
});
