import { randomBytes, randomUUID } from 'node:crypto';
import { EventCursors } from '../src/events/event-cursor';
import { OrderExportJob } from '../src/order-exports/order-export.job';
import { CloudEvent } from './support/event-stream';
import { PNG } from './support/files';
import { image } from './support/images';
import { finishedExport, postExport } from './support/order-exports';
import { createOrder as createOrderAs, EVENTS_ORDER as ORDER } from './support/orders';
import { startTestApp, TestApp } from './support/test-app';
import { expectProblem, signUpAndIn, SignedUpUser, uniqueEmail } from './support/users';
import { waitFor } from './support/wait';

describe('events: the feed (GET /api/events)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  const feed = async (user: SignedUpUser, query = '') =>
    (await app.http.get(`/api/events${query}`).set(user.auth).expect(200)).body as {
      data: CloudEvent[];
      nextCursor: string | null;
    };
  /** The user's whole feed once it holds `count` events (they are sequenced just after commit). */
  const eventsOf = (user: SignedUpUser, count: number) =>
    waitFor(`${count} events`, async () => {
      const { data } = await feed(user, '?limit=100');
      return data.length >= count && data;
    });
  const createOrder = (user: SignedUpUser) => createOrderAs(app, user, ORDER);
  const get = async (user: SignedUpUser, path: string) =>
    (await app.http.get(path).set(user.auth).expect(200)).body as Record<string, unknown>;

  it('announces each change once, in order, as a CloudEvent carrying the resource as the API answered it; none for replays or rejections', async () => {
    const ann = await signUpAndIn(app, 'Ann');
    const post = (key: string, clientReference: string) =>
      app.http
        .post('/api/orders')
        .set(ann.auth)
        .set('Idempotency-Key', key)
        .send({ ...ORDER, clientReference });
    const created = await post('o-1', 'ref-1').expect(201);
    await post('o-1', 'ref-1').expect(201); // a replay: no event
    await post('o-2', 'ref-1').expect(409); // a rejection: no event
    const cancelled = await app.http
      .post(`/api/orders/${created.body.id}/cancel`)
      .set(ann.auth)
      .expect(200);
    await app.http.post(`/api/orders/${created.body.id}/cancel`).set(ann.auth).expect(200); // no change
    const upload = (bytes: Buffer, name: string) =>
      app.http.post('/api/files').set(ann.auth).attach('file', bytes, name).expect(201);
    const picture = await upload(await image('png', 40, 20), 'p.png');
    const broken = await upload(PNG, 'broken.png');
    const processed = (id: string) =>
      waitFor('processed', async () => {
        const file = await get(ann, `/api/files/${id}`);
        return file.status !== 'processing' && file;
      });
    const [ready, failed] = [await processed(picture.body.id), await processed(broken.body.id)];
    await app.http.delete(`/api/files/${broken.body.id}`).set(ann.auth).expect(204);
    const exported = await postExport(app, ann, { format: 'csv' }).expect(202);
    const done = await finishedExport(app, ann, exported.body.id);

    const events = await eventsOf(ann, 10);
    const byType = (type: string, subject: string) =>
      events.filter((event) => event.type === type && event.subject === subject);
    expect(events.map((event) => event.type)).toEqual(
      [
        'user.created',
        'order.created',
        'order.cancelled',
        ...events.slice(3, 7).map((event) => event.type), // two uploads and their outcomes, as they went
        'file.deleted',
        'file.created', // the export's CSV, a file of the caller's like any upload
        'order_export.succeeded',
      ].slice(0, events.length),
    );
    expect(events).toHaveLength(10);
    expect(byType('user.created', ann.id)[0].data).toEqual(await get(ann, `/api/users/${ann.id}`));
    expect(byType('order.created', created.body.id)[0].data).toEqual(created.body);
    expect(byType('order.cancelled', created.body.id)[0].data).toEqual(cancelled.body);
    expect(byType('file.created', picture.body.id)[0].data).toEqual(picture.body);
    expect(byType('file.ready', picture.body.id)[0].data).toEqual(ready);
    expect(byType('file.created', broken.body.id)[0].data).toEqual(broken.body);
    expect(byType('file.failed', broken.body.id)[0].data).toEqual(failed);
    expect(byType('file.deleted', broken.body.id)[0].data).toEqual(failed);
    expect(byType('order_export.succeeded', exported.body.id)[0].data).toEqual(done);
    const csv = (done.file as { id: string }).id;
    expect(byType('file.created', csv)[0].data).toEqual(await get(ann, `/api/files/${csv}`));
    for (const event of events) {
      expect(event).toMatchObject({
        specversion: '1.0',
        source: 'order-service',
        datacontenttype: 'application/json',
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      });
      expect(Number.isNaN(Date.parse(event.time))).toBe(false);
    }
    expect(new Set(events.map((event) => event.id)).size).toBe(events.length);
  });

  it('shows a caller only their own events', async () => {
    const [ann, bob] = [await signUpAndIn(app, 'Ann'), await signUpAndIn(app, 'Bob')];
    await createOrder(ann);
    await eventsOf(ann, 2);
    const bobs = await eventsOf(bob, 1);
    expect(bobs.map((event) => [event.type, event.subject])).toEqual([['user.created', bob.id]]);
  });

  it('gives a page an ETag: If-None-Match is 304 until another event is there to read', async () => {
    const ann = await signUpAndIn(app, 'Ann');
    await eventsOf(ann, 1);
    const page = await app.http.get('/api/events').set(ann.auth).expect(200);
    expect(page.headers.etag).toMatch(/^"[\w-]+"$/);
    const unchanged = await app.http
      .get('/api/events')
      .set(ann.auth)
      .set('If-None-Match', page.headers.etag);
    expect([unchanged.status, unchanged.text, unchanged.headers.etag]).toEqual([
      304,
      '',
      page.headers.etag,
    ]);
    await createOrder(ann);
    await eventsOf(ann, 2);
    await app.http
      .get('/api/events')
      .set(ann.auth)
      .set('If-None-Match', page.headers.etag)
      .expect(200);
  });

  it('pages oldest first, each page strictly after the cursor given; an empty page keeps the cursor', async () => {
    const ann = await signUpAndIn(app, 'Ann');
    for (let i = 0; i < 3; i++) await createOrder(ann);
    const all = await eventsOf(ann, 4);
    const first = await feed(ann, '?limit=3');
    expect(first.data).toEqual(all.slice(0, 3));
    const second = await feed(ann, `?limit=3&after=${first.nextCursor}`);
    expect(second.data).toEqual(all.slice(3));
    const empty = await feed(ann, `?after=${second.nextCursor}`);
    expect(empty).toEqual({ data: [], nextCursor: second.nextCursor });
    const cursors = app.nest.get(EventCursors);
    const lastPosition = cursors.decode(second.nextCursor!);
    const tampered = `${second.nextCursor!.slice(0, 5)}${second.nextCursor![5] === 'A' ? 'B' : 'A'}${second.nextCursor!.slice(6)}`;
    for (const after of [
      'not-a-cursor',
      `${second.nextCursor}==`, // a spelling the API never gives
    ])
      expectProblem(
        await app.http.get(`/api/events?after=${after}`).set(ann.auth),
        400,
        'validation_failed',
      );
    // Made under another key (JWT_SECRET changed), altered, or past every event numbered (only
    // after a restore of the database): resync, as for an expired cursor.
    for (const after of [
      new EventCursors(randomBytes(32)).encode(lastPosition),
      tampered,
      cursors.encode('9000000000000000000'),
    ])
      expectProblem(
        await app.http.get(`/api/events?after=${after}`).set(ann.auth),
        410,
        'cursor_expired',
      );
    expectProblem(
      await app.http.get('/api/events?limit=101').set(ann.auth),
      400,
      'validation_failed',
    );
    await app.http.get('/api/events').expect(401);
  });

  it('announces a user created by PUT, and each replacement of their profile', async () => {
    const id = randomUUID();
    const body = { email: uniqueEmail(), name: 'Put', password: 'long enough' };
    const put = await app.http.put(`/api/users/${id}`).send(body).expect(201);
    const { accessToken } = (
      await app.http
        .post('/api/auth/token')
        .send({ email: body.email, password: body.password })
        .expect(200)
    ).body;
    const user = {
      id,
      email: body.email,
      password: body.password,
      token: accessToken,
      auth: { Authorization: `Bearer ${accessToken}` },
    };
    const events = await eventsOf(user, 1);
    expect(events.map((event) => [event.type, event.data])).toEqual([['user.created', put.body]]);

    const replaced = await app.http
      .put(`/api/users/${id}`)
      .set(user.auth)
      .set('If-Match', put.headers.etag)
      .send({ email: body.email, name: 'Renamed' })
      .expect(200);
    await app.http
      .put(`/api/users/${id}`)
      .set(user.auth)
      .set('If-Match', put.headers.etag) // stale now: 412, and no event
      .send({ email: body.email, name: 'Again' })
      .expect(412);
    const unchanged = await app.http
      .put(`/api/users/${id}`)
      .set(user.auth)
      .send({ email: body.email, name: 'Renamed' }) // the same profile again: no change, no event
      .expect(200);
    expect(unchanged.body).toEqual(replaced.body);
    expect(unchanged.headers.etag).toBe(replaced.headers.etag);
    const sentinel = await createOrder(user); // once its event is numbered, all before it are
    const after = await eventsOf(user, 3);
    expect(after.map((event) => [event.type, event.subject, event.data])).toEqual([
      ['user.created', id, put.body],
      ['user.updated', id, replaced.body],
      ['order.created', sentinel.body.id, sentinel.body],
    ]);
  });

  it('numbers an event the release before wrote straight to the events table (as during a rollout) among those pending, in the order they were written', async () => {
    const cy = await signUpAndIn(app, 'Cy');
    const [signedUp] = await eventsOf(cy, 1);
    const [older, newer] = [randomUUID(), randomUUID()];
    // One transaction, so the sequencer finds both at once: the older one is the release before's.
    await app.dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO events_pending (id, user_id, type, subject, time, data)
         VALUES ($1, $2, 'order.created', $1, now(), '{}')`,
        [newer, cy.id],
      );
      await manager.query(
        `INSERT INTO events (id, user_id, type, subject, time, data)
         VALUES ($1, $2, 'order.created', $1, now() - interval '1 second', '{}')`,
        [older, cy.id],
      );
    });
    const events = await eventsOf(cy, 3);
    expect(events.map((event) => event.id)).toEqual([signedUp.id, older, newer]);
    const left = await app.dataSource.query(
      `SELECT (SELECT count(*) FROM events WHERE position IS NULL AND user_id = $1)
            + (SELECT count(*) FROM events_pending WHERE user_id = $1) AS n`,
      [cy.id],
    );
    expect(Number(left[0].n)).toBe(0);
  });
});

describe('events: an export that failed for good (no job runner: its last run played by hand)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ WORKER_CONCURRENCY: '0' });
  });
  afterAll(() => app.close());

  it('announces order_export.failed with the failed export, once', async () => {
    const ann = await signUpAndIn(app, 'Ann');
    const exported = await postExport(app, ann, { format: 'csv' }).expect(202);
    const job = app.nest.get(OrderExportJob);
    await job.gaveUp({ exportId: exported.body.id }, new Error('gone'));
    await job.gaveUp({ exportId: exported.body.id }, new Error('gone')); // finished: no second event
    const failed = await app.http
      .get(`/api/order-exports/${exported.body.id}`)
      .set(ann.auth)
      .expect(200);
    const events = await waitFor('the failure announced', async () => {
      const { body } = await app.http.get('/api/events').set(ann.auth).expect(200);
      return body.data.length >= 2 && (body.data as CloudEvent[]);
    });
    expect(events.map((event) => [event.type, event.subject])).toEqual([
      ['user.created', ann.id],
      ['order_export.failed', exported.body.id],
    ]);
    expect(events[1].data).toEqual(failed.body);
  });
});
