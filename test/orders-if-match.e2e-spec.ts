import { blockedServiceBackends, holdInTransaction } from './support/blocking';
import { createOrder } from './support/orders';
import { startTestAppOnOwnDatabase, TestAppOnOwnDatabase } from './support/test-app';
import { expectProblem, signUpAndIn, SignedUpUser } from './support/users';
import { waitFor } from './support/wait';

const ORDER = { currency: 'EUR', items: [{ sku: 'IF-1', quantity: 1, unitPrice: 500 }] };

/**
 * POST /api/orders/{id}/cancel with If-Match or If-None-Match, and GET with If-Match: checked
 * against the order's current strong ETag.
 */
describe('an order under If-Match and If-None-Match', () => {
  let app: TestAppOnOwnDatabase; // its own database: the race below counts blocked backends
  beforeAll(async () => {
    app = await startTestAppOnOwnDatabase();
  });
  afterAll(() => app.close());

  /** A new user's new order, and the ETag its 201 gave. */
  const newOrder = async () => {
    const user = await signUpAndIn(app, 'Ida');
    const created = await createOrder(app, user, ORDER);
    return { user, id: created.body.id as string, etag: created.headers.etag, created };
  };
  const cancel = (user: SignedUpUser, id: string, ifMatch: string) =>
    app.http.post(`/api/orders/${id}/cancel`).set(user.auth).set('If-Match', ifMatch);
  const read = (user: SignedUpUser, id: string) =>
    app.http.get(`/api/orders/${id}`).set(user.auth).expect(200);
  /**
   * The user's order.cancelled events, once all `count` of the user's events so far are numbered:
   * a sentinel order created after them is, so they are too (a refused cancel that wrote one would
   * show as one too many).
   */
  const cancelEvents = async (user: SignedUpUser, count: number) => {
    const sentinel = (await createOrder(app, user)).body.id as string;
    const events = await waitFor('the sentinel order.created', async () => {
      const feed = await app.http.get('/api/events?limit=100').set(user.auth).expect(200);
      const data = feed.body.data as { type: string; subject: string; data: unknown }[];
      return data.some((event) => event.subject === sentinel) && data;
    });
    expect(events).toHaveLength(count + 1);
    return events.filter((event) => event.type === 'order.cancelled');
  };

  it('cancels with the current ETag; sent again with it, the cancel is found done: 200, the order unchanged', async () => {
    const { user, id, etag } = await newOrder();
    const cancelled = await cancel(user, id, etag).expect(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(cancelled.headers.etag).not.toBe(etag);

    // A retry whose answer was lost holds the pending order's ETag (RFC 9110 §13.1.1).
    const retried = await cancel(user, id, etag).expect(200);
    expect(retried.body).toEqual(cancelled.body);
    expect(retried.headers.etag).toBe(cancelled.headers.etag);
    const fetched = await read(user, id);
    expect(fetched.body).toEqual(cancelled.body);
    expect(fetched.headers.etag).toBe(cancelled.headers.etag);
    // Cancelling again under the cancelled order's own ETag stays harmless.
    const again = await cancel(user, id, cancelled.headers.etag).expect(200);
    expect(again.body).toEqual(cancelled.body);
    expect(await cancelEvents(user, 3)).toHaveLength(1);
  });

  it('refuses a wrong ETag with 412 and changes nothing: still pending, no order.cancelled event', async () => {
    const { user, id, etag, created } = await newOrder();
    expectProblem(await cancel(user, id, '"wrong"'), 412, 'precondition_failed');
    const fetched = await read(user, id);
    expect(fetched.body).toEqual(created.body);
    expect(fetched.headers.etag).toBe(etag);

    // A list matches when any tag in it is current; its cancel must be the only one announced.
    const cancelled = await cancel(user, id, `"wrong", ${etag}`).expect(200);
    const events = await cancelEvents(user, 3); // user.created, order.created, order.cancelled
    expect(events.map((event) => event.data)).toEqual([cancelled.body]);
  });

  it('never matches a weak tag (strong comparison), while * matches any existing order', async () => {
    const { user, id, etag } = await newOrder();
    expectProblem(await cancel(user, id, `W/${etag}`), 412, 'precondition_failed');
    expect((await read(user, id)).body.status).toBe('pending');

    expect((await cancel(user, id, '*').expect(200)).body.status).toBe('cancelled');
    await cancel(user, id, '*').expect(200); // cancelled already: harmless
    const stranger = await signUpAndIn(app, 'Stan');
    expectProblem(await cancel(stranger, id, '*'), 404, 'not_found');
  });

  it('refuses a cancel whose If-None-Match holds (*, or the current ETag) with 412, changing nothing', async () => {
    const { user, id, etag, created } = await newOrder();
    const cancelUnless = (ifNoneMatch: string) =>
      app.http.post(`/api/orders/${id}/cancel`).set(user.auth).set('If-None-Match', ifNoneMatch);
    for (const held of ['*', etag, `W/${etag}`, `"other", ${etag}`])
      expectProblem(await cancelUnless(held), 412, 'precondition_failed');
    expect((await read(user, id)).body).toEqual(created.body);

    const cancelled = await cancelUnless('"other"').expect(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(await cancelEvents(user, 3)).toHaveLength(1);
  });

  it('answers a GET whose If-Match does not hold with 412, and one that holds as usual', async () => {
    const { user, id, etag, created } = await newOrder();
    const readIf = (ifMatch: string) =>
      app.http.get(`/api/orders/${id}`).set(user.auth).set('If-Match', ifMatch);
    for (const stale of ['"other"', `W/${etag}`])
      expectProblem(await readIf(stale), 412, 'precondition_failed');
    for (const holding of [etag, '*', `"other", ${etag}`])
      expect((await readIf(holding).expect(200)).body).toEqual(created.body);
    // If-Match is checked first: a stale one is 412 even where If-None-Match would be 304.
    const both = await readIf('"other"').set('If-None-Match', etag);
    expectProblem(both, 412, 'precondition_failed');
    const stranger = await signUpAndIn(app, 'Stan');
    expectProblem(
      await app.http.get(`/api/orders/${id}`).set(stranger.auth).set('If-Match', '"other"'),
      404,
      'not_found',
    );
  });

  it('cancels once for two cancels in flight with the same ETag: the other waits, then finds it done', async () => {
    const { user, id, etag } = await newOrder();
    // Both cancels wait on the order's row before either reads it: read unlocked, both would see it
    // pending and announce it twice.
    const hold = await holdInTransaction(
      app.databaseUrl,
      'SELECT 1 FROM orders WHERE id = $1 FOR UPDATE',
      [id],
    );
    try {
      const answers = Promise.all([cancel(user, id, etag), cancel(user, id, etag)]);
      await blockedServiceBackends(hold.client, 2);
      await hold.release();
      const [first, second] = await answers;
      expect([first.status, second.status]).toEqual([200, 200]);
      expect(second.body).toEqual(first.body);
      expect(second.headers.etag).toBe(first.headers.etag);
    } finally {
      await hold.release();
    }
    // Read under the row lock, the order was pending for one cancel only: one event.
    expect(await cancelEvents(user, 3)).toHaveLength(1);
  });
});
