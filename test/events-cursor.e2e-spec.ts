import { EventCursors } from '../src/events/event-cursor';
import { openStream } from './support/event-stream';
import { createOrder } from './support/orders';
import { startTestApp, TestApp } from './support/test-app';
import { expectProblem, signUpAndIn } from './support/users';
import { waitFor } from './support/wait';

/** What an event cursor tells a client: where to resume, and nothing about anyone else's events. */
describe('event cursors', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  const positionsNow = async () =>
    (await app.dataSource.query<{ last: string }[]>('SELECT last FROM event_positions'))[0].last;

  it("hold no position in the clear: the feed's and the stream's cursors are not the readable form", async () => {
    const ann = await signUpAndIn(app, 'Ann');
    await createOrder(app, ann);
    const nextCursor = await waitFor('the order to be in the feed', async () => {
      const page = await app.http.get('/api/events').set(ann.auth).expect(200);
      return page.body.data.length === 2 ? (page.body.nextCursor as string) : null;
    });
    const live = await openStream(app.baseUrl, '/api/events/stream', ann.auth);
    const start = await waitFor('the start marker', () => live.messages[0] ?? null);
    live.close();
    expect(start.id).toBe(nextCursor); // the stream starts after the caller's last event
    const position = app.nest.get(EventCursors).decode(nextCursor);
    expect(nextCursor).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(nextCursor).not.toBe(Buffer.from(`event:${position}`).toString('base64url'));
    expect(Buffer.from(nextCursor, 'base64url').toString('latin1')).not.toContain('event:');
  });

  it('resumes at another replica (one secret) from a cursor this one gave, at one mid-rollout (EVENT_CURSORS=readable) too', async () => {
    const ann = await signUpAndIn(app, 'Ann');
    const cursor = await waitFor('the sign-up in the feed', async () => {
      const page = await app.http.get('/api/events').set(ann.auth).expect(200);
      return page.body.nextCursor as string | null;
    });
    await createOrder(app, ann);
    const rolling = await startTestApp({ EVENT_CURSORS: 'readable' });
    try {
      const page = await waitFor('the order after the cursor, at the other replica', async () => {
        const found = await rolling.http.get(`/api/events?after=${cursor}`).set(ann.auth);
        return found.status === 200 && found.body.data.length === 1 ? found.body : null;
      });
      expect(page.data[0].type).toBe('order.created');
      // What the replica mid-rollout hands out is the earlier form, which it reads too.
      const position = app.nest.get(EventCursors).decode(cursor);
      expect(Buffer.from(page.nextCursor, 'base64url').toString()).toMatch(/^event:\d+$/);
      expect(BigInt(Buffer.from(page.nextCursor, 'base64url').toString().slice(6))).toBeGreaterThan(
        BigInt(position),
      );
      await rolling.http.get(`/api/events?after=${page.nextCursor}`).set(ann.auth).expect(200);
    } finally {
      await rolling.close();
    }
  });

  it('answers a cursor of the earlier, readable form 410 cursor_expired, in the feed and on the stream', async () => {
    const ann = await signUpAndIn(app, 'Ann');
    const readable = Buffer.from(`event:${await positionsNow()}`).toString('base64url');
    const feed = await app.http.get(`/api/events?after=${readable}`).set(ann.auth);
    expectProblem(feed, 410, 'cursor_expired');
    expect(feed.body.detail).toBe(
      'The cursor in after is of an earlier form, which this API no longer reads: read the current state again, then follow the events without a cursor.',
    );
    const stream = await openStream(app.baseUrl, '/api/events/stream', {
      ...ann.auth,
      'Last-Event-ID': readable,
    });
    await stream.ended;
    expect(stream.status).toBe(410);
    expect(JSON.parse(stream.body)).toMatchObject({ code: 'cursor_expired' });
  });
});
