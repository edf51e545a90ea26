import { randomUUID } from 'node:crypto';
import { item, orderCalls, validOrder } from './support/orders';
import { startTestApp, TestApp } from './support/test-app';
import { signUpAndIn } from './support/users';

/**
 * A get, a list and a cancel send the order as PostgreSQL renders it
 * (src/orders/order-representation.ts), the create as JSON.stringify does: the same bytes, so the
 * same ETag.
 */
describe("an order's representation", () => {
  let app: TestApp;
  beforeAll(async () => (app = await startTestApp()));
  afterAll(() => app.close());

  const { create } = orderCalls(() => app);

  it('reads an order back and lists it byte for byte as its create and its cancel answered it, with their ETags', async () => {
    const dave = await signUpAndIn(app, 'Dave');
    const awkward = {
      currency: 'JPY',
      items: [item('c', 3, 7), item('A"\\/<x>', 10_000, 1_000_000_000), item('B', 1, 0)],
      clientReference: `"\\{}[]:,</script>${randomUUID()}`,
      note: 'tab\tline\nCR\r\n "quoted" \\ back /slash é 中文 😀 \u2028\u2029 \u00a0 </script>',
    };
    const created = await create(dave, awkward).expect(201);
    const newer = await create(dave, validOrder()).expect(201);
    const read = () => app.http.get(`/api/orders/${created.body.id}`).set(dave.auth).expect(200);
    const first = await read();
    expect(first.text).toBe(created.text);
    expect(first.headers.etag).toBe(created.headers.etag);

    const list = (query: object) =>
      app.http.get('/api/orders').query(query).set(dave.auth).expect(200);
    const byReference = await list({ clientReference: awkward.clientReference });
    expect(byReference.text).toBe(`{"data":[${created.text}],"nextCursor":null}`);
    const page1 = await list({ limit: 1 });
    const cursor = page1.body.nextCursor as string;
    expect(cursor).toEqual(expect.any(String));
    expect(page1.text).toBe(`{"data":[${newer.text}],"nextCursor":${JSON.stringify(cursor)}}`);
    const page2 = await list({ limit: 1, cursor });
    expect(page2.text).toBe(`{"data":[${created.text}],"nextCursor":null}`);

    const cancelled = await app.http
      .post(`/api/orders/${created.body.id}/cancel`)
      .set(dave.auth)
      .expect(200);
    const { updatedAt } = cancelled.body as { updatedAt: string };
    expect(cancelled.text).toBe(
      JSON.stringify({ ...created.body, status: 'cancelled', updatedAt }),
    );
    const second = await read();
    expect(second.text).toBe(cancelled.text);
    expect(second.headers.etag).toBe(cancelled.headers.etag);
  });
});
