import { EventCursors } from '../src/events/event-cursor';
import { Notifications } from '../src/database/notifications';
import { EventStreamHub, MAX_STREAMS_PER_USER } from '../src/events/event-stream-hub';
import { Metrics } from '../src/metrics/metrics';
import { openStream } from './support/event-stream';
import { createOrder as createOrderAs } from './support/orders';
import { startReadyService } from './support/service-process';
import { startTestApp, startTestAppOnOwnDatabase, TestApp } from './support/test-app';
import { expectProblem, signUpAndIn, SignedUpUser } from './support/users';
import { waitFor } from './support/wait';

const ORDER = { currency: 'EUR', items: [{ sku: 'SSE-1', quantity: 1, unitPrice: 990 }] };
const ORIGIN = 'https://shop.example.com';

const createOrder = async (app: Pick<TestApp, 'http'>, user: SignedUpUser) =>
  (await createOrderAs(app, user, ORDER)).body as { id: string };

/** The user's whole feed once it holds `count` events: what the stream must match exactly. */
const feedOf = (app: TestApp, user: SignedUpUser, count: number) =>
  waitFor(`${count} events in the feed`, async () => {
    const { body } = await app.http.get('/api/events?limit=100').set(user.auth).expect(200);
    return body.data.length >= count && (body as { data: { id: string }[]; nextCursor: string });
  });

const STREAM_VARY = ['Accept', 'Last-Event-ID'];

describe('events: the stream (GET /api/events/stream)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ CORS_ORIGINS: ORIGIN });
  });
  afterAll(() => app.close());

  const stream = (user: SignedUpUser | null, path = '/api/events/stream', headers = {}) =>
    openStream(app.baseUrl, path, { ...(user ? user.auth : {}), ...headers });

  it('answers text/event-stream with its headers, starting from now: only events to come, each as the feed has it', async () => {
    const ann = await signUpAndIn(app, 'Ann');
    const [signedUp] = (await feedOf(app, ann, 1)).data;
    const live = await stream(ann, '/api/events/stream', { 'X-Request-Id': 'sse-test-1' });
    expect(live.status).toBe(200);
    expect(live.headers).toMatchObject({
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      'x-request-id': 'sse-test-1',
      'x-content-type-options': 'nosniff',
    });
    const order = await createOrder(app, ann);
    const [event] = await live.waitForEvents(1);
    const feed = await feedOf(app, ann, 2);
    expect(live.messages[0]).toMatchObject({
      id: await cursorAfter(ann, signedUp.id),
      event: 'start',
      data: '',
    });
    expect(event).toMatchObject({ event: 'order.created', id: feed.nextCursor });
    expect(event.data).toEqual(feed.data[1]);
    expect(event.data).toMatchObject({ subject: order.id });
    live.close();
  });

  /** The feed's cursor right after the event `id`. */
  const cursorAfter = async (user: SignedUpUser, id: string) => {
    const { body } = await app.http.get('/api/events?limit=100').set(user.auth).expect(200);
    const index = (body.data as { id: string }[]).findIndex((event) => event.id === id);
    const page = await app.http
      .get(`/api/events?limit=${index + 1}`)
      .set(user.auth)
      .expect(200);
    return page.body.nextCursor as string;
  };

  it("carries only the caller's own events", async () => {
    const [ann, bob] = [await signUpAndIn(app, 'Ann'), await signUpAndIn(app, 'Bob')];
    const anns = await stream(ann);
    const bobs = await stream(bob);
    await createOrder(app, bob);
    const annsOrder = await createOrder(app, ann);
    await createOrder(app, bob);
    await bobs.waitForEvents(2);
    await anns.waitForEvents(1);
    await createOrder(app, bob); // and after Ann's stream had its event: still not hers
    await bobs.waitForEvents(3);
    expect(anns.events().map((e) => [e.event, e.data.subject])).toEqual([
      ['order.created', annsOrder.id],
    ]);
    expect(bobs.events().every((e) => (e.data.data as { userId: string }).userId === bob.id)).toBe(
      true,
    );
    [anns, bobs].forEach((s) => s.close());
  });

  it('resumes strictly after Last-Event-ID (or ?after=), then goes on live: no gap, no repeat', async () => {
    const ann = await signUpAndIn(app, 'Ann');
    for (let i = 0; i < 3; i++) await createOrder(app, ann);
    const feed = (await feedOf(app, ann, 4)).data;
    const afterFirst = await cursorAfter(ann, feed[0].id);
    const byHeader = await stream(ann, '/api/events/stream?after=bm90LXRoaXMtb25l', {
      'Last-Event-ID': afterFirst, // wins over the query's (bad) cursor
    });
    const byQuery = await stream(ann, `/api/events/stream?after=${afterFirst}`);
    const fresh = await stream(ann); // shares their reads, but takes only what is to come
    await createOrder(app, ann);
    const all = (await feedOf(app, ann, 5)).data;
    expect((await fresh.waitForEvents(1)).map((e) => e.data)).toEqual(all.slice(4));
    for (const resumed of [byHeader, byQuery]) {
      await resumed.waitForEvents(4);
      expect(resumed.events().map((e) => e.data)).toEqual(all.slice(1));
      expect(resumed.messages[0].id).toBe(afterFirst);
      resumed.close();
    }
    expect(fresh.events()).toHaveLength(1);
    fresh.close();
  });

  it('answers 401 without a token, 400 for text that is not a cursor, 410 for one past every event, 406 when text/event-stream is not acceptable', async () => {
    const ann = await signUpAndIn(app, 'Ann');
    const problem = async (answer: ReturnType<typeof stream>) => {
      const response = await answer;
      await response.ended;
      const headers = response.headers as Record<string, string>;
      return { status: response.status, headers, body: JSON.parse(response.body) };
    };
    expectProblem(await problem(stream(null)), 401, 'unauthorized');
    expectProblem(
      await problem(stream(ann, '/api/events/stream', { 'Last-Event-ID': 'nope' })),
      400,
      'validation_failed',
    );
    const pastEvery = app.nest.get(EventCursors).encode('9000000000000000000');
    expectProblem(
      await problem(stream(ann, '/api/events/stream', { 'Last-Event-ID': pastEvery })),
      410,
      'cursor_expired',
    );
    const badQuery = await problem(stream(ann, '/api/events/stream?after=nope'));
    expectProblem(badQuery, 400, 'validation_failed');
    expect(badQuery.body.errors).toEqual([{ field: 'after', message: expect.any(String) }]);
    const refused = await problem(
      stream(ann, '/api/events/stream', { Accept: 'application/json' }),
    );
    expectProblem(refused, 406, 'not_acceptable');
    expect(refused.headers.vary.split(/, */)).toEqual(expect.arrayContaining(STREAM_VARY));
  });

  it('answers HEAD with the head of the stream, and ends there', async () => {
    const ann = await signUpAndIn(app, 'Ann');
    const head = await app.http.head('/api/events/stream').set(ann.auth).timeout(5_000);
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toBe('text/event-stream');
    // The answer depends on them: the stream or a 406, and where it starts.
    expect(head.headers.vary.split(/, */)).toEqual(expect.arrayContaining(STREAM_VARY));
  });

  it('sends a heartbeat comment on the shared interval', async () => {
    const ann = await signUpAndIn(app, 'Ann');
    const hub = app.nest.get(EventStreamHub);
    hub.heartbeatEvery(100);
    try {
      const live = await stream(ann);
      await waitFor('two heartbeats', () =>
        live.messages.filter((m) => m.comment === 'heartbeat').length >= 2 ? true : false,
      );
      expect(live.body).toMatch(/^id: [^\n]+\nevent: start\ndata:\n\n(: heartbeat\n\n)+$/);
      live.close();
    } finally {
      hub.heartbeatEvery(15_000);
    }
  });

  it('counts open streams (events_streams_open)', async () => {
    const ann = await signUpAndIn(app, 'Ann');
    const open = async () =>
      (await app.nest.get(Metrics).registry.getSingleMetric('events_streams_open')!.get()).values[0]
        .value;
    const before = await open();
    const live = await stream(ann);
    await waitFor('one more stream', async () => (await open()) === before + 1);
    live.close();
    await waitFor('the stream counted out', async () => (await open()) === before);
  });

  it("refuses a caller's stream past MAX_STREAMS_PER_USER at this instance (429), and takes one again once one closes", async () => {
    const [ann, bob] = [await signUpAndIn(app, 'Ann'), await signUpAndIn(app, 'Bob')];
    const opened = await Promise.all(
      Array.from({ length: MAX_STREAMS_PER_USER + 1 }, () => stream(ann)),
    );
    const [admitted, refused] = [200, 429].map((status) =>
      opened.filter((open) => open.status === status),
    );
    expect([admitted.length, refused.length]).toEqual([MAX_STREAMS_PER_USER, 1]);
    await refused[0].ended;
    expect(refused[0].headers['retry-after']).toBe('5');
    expect(refused[0].headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(refused[0].body)).toMatchObject({ status: 429, code: 'too_many_streams' });

    const others = await stream(bob); // another caller's streams are counted apart
    expect(others.status).toBe(200);
    others.close();
    admitted.pop()!.close();
    const again = await waitFor('a stream admitted again', async () => {
      const next = await stream(ann);
      if (next.status !== 200) await next.ended;
      return next.status === 200 && next;
    });
    again.close();
    admitted.forEach((open) => open.close());
  });

  it('works cross-origin: CORS headers on the stream, Last-Event-ID allowed by the preflight', async () => {
    const ann = await signUpAndIn(app, 'Ann');
    const preflight = await app.http
      .options('/api/events/stream')
      .set('Origin', ORIGIN)
      .set('Access-Control-Request-Method', 'GET')
      .set('Access-Control-Request-Headers', 'authorization,last-event-id')
      .expect(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(preflight.headers['access-control-allow-headers'].toLowerCase()).toContain(
      'last-event-id',
    );
    const live = await stream(ann, '/api/events/stream', { Origin: ORIGIN });
    expect(live.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(live.headers['access-control-expose-headers']).toContain('X-Request-Id');
    live.close();
  });
});

describe('events: the stream across replicas and at shutdown', () => {
  it('delivers an event committed at one replica to a stream at another within 1 s', async () => {
    const app = await startTestApp();
    const replica = await startReadyService(process.env.E2E_DATABASE_URL!);
    try {
      const ann = await signUpAndIn(app, 'Ann');
      const live = await openStream(replica.baseUrl, '/api/events/stream', ann.auth);
      for (let i = 0; i < 3; i++) {
        await createOrder(app, ann);
        const committed = Date.now(); // the 201 comes after the commit
        const events = await live.waitForEvents(i + 1, 5_000);
        expect(events[i].at - committed).toBeLessThan(1_000);
      }
      live.close();
    } finally {
      replica.child.kill('SIGTERM');
      await replica.exited;
      await app.close();
    }
  });

  it('goes on after its LISTEN session stopped answering without its connection closing', async () => {
    const app = await startTestAppOnOwnDatabase();
    try {
      app.nest.get(Notifications).checkEvery(200, 1_000);
      const ann = await signUpAndIn(app, 'Ann');
      const live = await openStream(app.baseUrl, '/api/events/stream', ann.auth);
      const [{ pid }] = await app.dataSource.query(
        `SELECT pid FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'order-service notifications'`,
      );
      process.kill(pid, 'SIGSTOP'); // a server that is there and says nothing, as behind a partition
      try {
        await createOrder(app, ann);
        await live.waitForEvents(1, 10_000);
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      live.close();
    } finally {
      await app.close();
    }
  });

  it('ends its open streams when the application closes, and the close does not wait for them', async () => {
    const app = await startTestApp();
    const ann = await signUpAndIn(app, 'Ann');
    const streams = await Promise.all(
      [1, 2, 3].map(() => openStream(app.baseUrl, '/api/events/stream', ann.auth)),
    );
    const started = Date.now();
    await app.close();
    await Promise.all(streams.map((s) => s.ended));
    expect(Date.now() - started).toBeLessThan(15_000); // waiting for the streams would never end
  });
});
