import { EventRetention } from '../src/events/event-retention';
import { openStream } from './support/event-stream';
import { createOrder } from './support/orders';
import { startTestAppOnOwnDatabase, TestAppOnOwnDatabase } from './support/test-app';
import { expectProblem, signUpAndIn, SignedUpUser } from './support/users';
import { waitFor } from './support/wait';

describe('a cursor the retention has passed', () => {
  // A database of its own: its sweep deletes every user's old events.
  let app: TestAppOnOwnDatabase;
  beforeAll(async () => {
    app = await startTestAppOnOwnDatabase();
  });
  afterAll(() => app.close());

  const feed = (user: SignedUpUser, after?: string) =>
    app.http.get(`/api/events${after === undefined ? '' : `?after=${after}`}`).set(user.auth);
  /** The user's events once all `count` are numbered, and the cursor after them. */
  const eventsOf = (user: SignedUpUser, count: number) =>
    waitFor(`${count} events`, async () => {
      const page = (await feed(user).expect(200)).body;
      return (
        page.data.length >= count &&
        (page as { data: { id: string; subject: string }[]; nextCursor: string })
      );
    });

  it("answers 410 cursor_expired on the feed and the stream, never for another user's deleted events, and the events without a cursor start past it", async () => {
    const retention = app.nest.get(EventRetention);
    await retention.onApplicationShutdown(); // its timer stopped: only this test's sweep deletes
    const bob = await signUpAndIn(app, 'Bob'); // first: his cursor is below everything Ann has
    const { nextCursor: bobsCursor } = await eventsOf(bob, 1);
    const ann = await signUpAndIn(app, 'Ann');
    const { nextCursor: afterSignUp } = await eventsOf(ann, 1);
    await createOrder(app, ann);
    const { nextCursor: afterOrder } = await eventsOf(ann, 2);
    // Both events older than EVENTS_RETENTION (7 days by default; no NATS, so unpublished counts).
    await app.dataSource.query(
      `UPDATE events SET time = time - interval '8 days' WHERE user_id = $1`,
      [ann.id],
    );
    expect(await retention.sweep()).toBe(2);

    // Resuming after the sign-up would silently skip the deleted order.created.
    expectProblem(await feed(ann, afterSignUp), 410, 'cursor_expired');
    const stream = await openStream(app.baseUrl, '/api/events/stream', {
      ...ann.auth,
      'Last-Event-ID': afterSignUp,
    });
    expect(stream.status).toBe(410);
    await stream.ended;
    expect(JSON.parse(stream.body)).toMatchObject({ status: 410, code: 'cursor_expired' });
    // Bob lost nothing: Ann's deleted events do not expire his cursor.
    expect((await feed(bob, bobsCursor).expect(200)).body).toEqual({
      data: [],
      nextCursor: bobsCursor,
    });
    // After the last deleted event nothing was lost: the cursor still reads.
    expect((await feed(ann, afterOrder).expect(200)).body).toEqual({
      data: [],
      nextCursor: afterOrder,
    });

    // Without a cursor: what is left, and a stream whose start is no expired cursor.
    const later = await createOrder(app, ann);
    const page = await eventsOf(ann, 1);
    expect(page.data.map((event) => event.subject)).toEqual([later.body.id]);
    const live = await openStream(app.baseUrl, '/api/events/stream', ann.auth);
    expect(live.status).toBe(200);
    await waitFor('the start marker', () => live.messages.length > 0);
    expect((await feed(ann, live.messages[0].id).expect(200)).body.data).toEqual([]);
    live.close();
    expect((await feed(ann, page.nextCursor).expect(200)).body.data).toEqual([]);
  });
});
