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

  it("hold no position: the feed's and the stream's cursors never spell the service's event count", async () => {
    const ann = await signUpAndIn(app, 'Ann');
    await createOrder(app, ann);
    const nextCursor = await waitFor('the order to be in the feed', async () => {
      const page = await app.http.get('/api/events').set(ann.auth).expect(200);
      return page.body.data.length === 2 ? (page.body.nextCursor as string) : null;
    });
    const live = await openStream(app.baseUrl, '/api/events/stream', ann.auth);
    const start = await waitFor('the start marker', () => live.messages[0] ?? null);
    live.close();
    const cursors = [nextCursor, start.id!];
    const counted = await positionsNow();
    for (const cursor of cursors) {
      expect(cursor).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(Buffer.from(cursor, 'base64url').toString('latin1')).not.toContain(counted);
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
