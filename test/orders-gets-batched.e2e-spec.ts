import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { answersQueuedBehindLockedTable } from './support/blocking';
import { metric } from './support/metrics';
import { startTestAppOnOwnDatabase, TestAppOnOwnDatabase } from './support/test-app';
import { signUpAndIn, SignedUpUser } from './support/users';

const order = (note: string) => ({
  currency: 'EUR',
  items: [{ sku: 'SKU-1', quantity: 2, unitPrice: 1250 }],
  note,
});

/**
 * Gets of an order by id that arrive while a read of orders goes wait for it and are then read
 * together, in one statement (READ_CONCURRENCY: here one at a time). The test holds the first
 * read on a lock of the orders table, so the gets sent after it queue in the service.
 */
describe('orders read together (batched gets)', () => {
  let app: TestAppOnOwnDatabase; // a test locks the orders table, which other files must not feel
  let ann: SignedUpUser;
  let bea: SignedUpUser;
  beforeAll(async () => {
    app = await startTestAppOnOwnDatabase({ READ_CONCURRENCY: '1' });
    ann = await signUpAndIn(app, 'Ann');
    bea = await signUpAndIn(app, 'Bea');
  });
  afterAll(() => app.close());

  const create = (user: SignedUpUser, note: string) =>
    app.http
      .post('/api/orders')
      .set(user.auth)
      .set('Idempotency-Key', randomUUID())
      .send(order(note))
      .expect(201);
  // `then` sends a supertest request now, rather than when it is awaited.
  const get = (user: SignedUpUser, id: string, headers: Record<string, string> = {}) =>
    app.http.get(`/api/orders/${id}`).set(user.auth).set(headers).then();
  const reads = async () => ({
    statements: await metric(app, 'orders_get_batch_size_count'),
    gets: await metric(app, 'orders_get_batch_size_sum'),
  });
  /** What a client sees of a get: status, and the body and ETag, or the problem's code. */
  const seen = (response: Response) =>
    response.status === 200
      ? [200, response.text, response.headers.etag]
      : [response.status, response.body.code];

  it("answers each get read in one statement with its own order, and none with another user's", async () => {
    const anns = [await create(ann, 'one'), await create(ann, 'two'), await create(ann, 'three')];
    const beas = await create(bea, 'four');
    const before = await reads();
    const answers = await answersQueuedBehindLockedTable(
      app.databaseUrl,
      'orders',
      () => metric(app, 'orders_gets_waiting'),
      () => get(ann, anns[0].body.id),
      [
        () => get(ann, anns[1].body.id),
        () => get(ann, beas.body.id), // Bea's order, asked for by Ann: no such order of hers
        () => get(bea, beas.body.id),
        () => get(ann, anns[2].body.id),
        () => get(ann, anns[1].body.id), // the same get twice in one statement
        () => get(ann, anns[2].body.id, { 'If-None-Match': anns[2].headers.etag }),
      ],
    );
    const created = (response: Response) => [200, response.text, response.headers.etag];
    expect(answers.map(seen)).toEqual([
      created(anns[0]),
      created(anns[1]),
      [404, 'not_found'],
      created(beas),
      created(anns[2]),
      created(anns[1]),
      [304, undefined],
    ]);
    const after = await reads();
    expect({
      statements: after.statements - before.statements,
      gets: after.gets - before.gets,
    }).toEqual({ statements: 2, gets: 7 }); // the held read alone, then the six together
  });
});
