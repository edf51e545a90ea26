import { randomUUID } from 'node:crypto';
import { orderCalls, validOrder } from './support/orders';
import { startTestApp, TestApp } from './support/test-app';
import { expectProblem, signUpAndIn, SignedUpUser, withAnnAndBob } from './support/users';

describe('orders over HTTP', () => {
  let app: TestApp, ann: SignedUpUser, bob: SignedUpUser;
  beforeAll(async () => ([app, ann, bob] = await withAnnAndBob(startTestApp())));
  afterAll(() => app.close());

  const { create } = orderCalls(() => app);

  describe('GET /api/orders/{id} and cancel', () => {
    it('shows an order to its owner only: 304 on If-None-Match, 404 for others, 400 for a malformed id', async () => {
      const { body: order, headers } = await create(ann, validOrder()).expect(201);
      const notModified = await app.http
        .get(`/api/orders/${order.id}`)
        .set(ann.auth)
        .set('If-None-Match', headers.etag);
      expect(notModified.status).toBe(304);
      expectProblem(await app.http.get(`/api/orders/${order.id}`).set(bob.auth), 404, 'not_found');
      expectProblem(
        await app.http.post(`/api/orders/${order.id}/cancel`).set(bob.auth),
        404,
        'not_found',
      );
      expectProblem(
        await app.http.get(`/api/orders/${randomUUID()}`).set(ann.auth),
        404,
        'not_found',
      );
      expectProblem(await app.http.get('/api/orders/42').set(ann.auth), 400, 'validation_failed');
      expectProblem(await app.http.get(`/api/orders/${order.id}`), 401, 'unauthorized');
      const [row] = await app.dataSource.query('SELECT status FROM orders WHERE id = $1', [
        order.id,
      ]);
      expect(row.status).toBe('pending');
    });

    it('cancels with 200, a new updatedAt and ETag; cancelling again is harmless', async () => {
      const { body: order, headers } = await create(ann, validOrder()).expect(201);
      const cancelled = await app.http
        .post(`/api/orders/${order.id}/cancel`)
        .set(ann.auth)
        .expect(200);
      expect(cancelled.body).toEqual({
        ...order,
        status: 'cancelled',
        updatedAt: expect.any(String),
      });
      expect(new Date(cancelled.body.updatedAt).getTime()).toBeGreaterThanOrEqual(
        new Date(order.updatedAt).getTime(),
      );
      expect(cancelled.body.updatedAt).not.toBe(order.updatedAt);
      expect(cancelled.headers.etag).not.toBe(headers.etag);

      const again = await app.http.post(`/api/orders/${order.id}/cancel`).set(ann.auth).expect(200);
      expect(again.body).toEqual(cancelled.body);
      expect(again.headers.etag).toBe(cancelled.headers.etag);
      const fetched = await app.http.get(`/api/orders/${order.id}`).set(ann.auth).expect(200);
      expect(fetched.body.status).toBe('cancelled');
    });
  });

  describe('GET /api/orders', () => {
    it("pages through the caller's orders newest first, each exactly once, while new ones are created", async () => {
      const carol = await signUpAndIn(app, 'Carol');
      const created: string[] = [];
      for (let i = 0; i < 7; i++)
        created.push((await create(carol, validOrder()).expect(201)).body.id);

      const seen: string[] = [];
      let url: string | null = '/api/orders?limit=3';
      let pages = 0;
      while (url) {
        const page = await app.http.get(url).set(carol.auth).expect(200);
        seen.push(...page.body.data.map((order: { id: string }) => order.id));
        expect(page.body.data.every((order: { userId: string }) => order.userId === carol.id)).toBe(
          true,
        );
        const link = page.headers.link as string | undefined;
        if (page.body.nextCursor) {
          expect(link).toBe(`</api/orders?limit=3&cursor=${page.body.nextCursor}>; rel="next"`);
          await create(carol, validOrder()).expect(201); // a newer order arrives between pages
        } else {
          expect(link).toBeUndefined();
        }
        url = link ? link.slice(1, link.indexOf('>')) : null;
        pages++;
      }
      expect(pages).toBe(3);
      expect(seen).toEqual([...created].reverse());
    });

    it("defaults to 20 per page and never shows another user's orders", async () => {
      const erin = await signUpAndIn(app, 'Erin');
      for (let i = 0; i < 21; i++) await create(erin, validOrder()).expect(201);
      await create(bob, validOrder()).expect(201); // another user's order, which Erin must not see
      const page = await app.http.get('/api/orders').set(erin.auth).expect(200);
      expect(page.body.data).toHaveLength(20);
      expect(page.body.nextCursor).toEqual(expect.any(String));
      const rest = await app.http
        .get(`/api/orders?cursor=${page.body.nextCursor}`)
        .set(erin.auth)
        .expect(200);
      expect(rest.body.data).toHaveLength(1);
      expect(rest.body.nextCursor).toBeNull();
      const ofBob = await app.http.get('/api/orders?limit=100').set(bob.auth).expect(200);
      expect(ofBob.body.data.length).toBeGreaterThan(0);
      expect(ofBob.body.data.every((order: { userId: string }) => order.userId === bob.id)).toBe(
        true,
      );
    });

    // Well-formed, but of instants no order has: one PostgreSQL cannot hold was a 500.
    const cursorAt = (instant: string) =>
      `cursor=${Buffer.from(JSON.stringify([instant, randomUUID()])).toString('base64url')}`;
    it.each([
      ['limit=0'],
      ['limit=101'],
      ['limit=ten'],
      ['cursor=bogus'],
      [cursorAt('-004713-01-01T00:00:00.000Z')],
      [cursorAt('+275760-09-13T00:00:00.000Z')],
      [cursorAt('1969-12-31T23:59:59.999Z')],
      ['page=2'],
    ])('answers 400 for %s', async (query) => {
      expectProblem(
        await app.http.get(`/api/orders?${query}`).set(ann.auth),
        400,
        'validation_failed',
      );
    });

    it.each([['abc'], ['0x10'], ['1e1'], ['%205'], ['+5'], ['5.0'], ['']])(
      'refuses limit=%s, no decimal integer, as not an integer (not as out of range)',
      async (limit) => {
        const response = await app.http.get(`/api/orders?limit=${limit}`).set(ann.auth);
        expectProblem(response, 400, 'validation_failed');
        expect(response.body.errors).toEqual([
          { field: 'limit', message: 'limit must be an integer number' },
        ]);
      },
    );

    it('names a query parameter it does not take, so a misspelt limit is never the default', async () => {
      const response = await app.http.get('/api/orders?limt=5').set(ann.auth);
      expectProblem(response, 400, 'validation_failed');
      expect(response.body.errors).toEqual([
        { field: 'limt', message: 'property limt should not exist' },
      ]);
    });

    it.each([
      ['limit=5&limit=6', 'limit'],
      ['status=pending&status=cancelled', 'status'],
    ])('names a query parameter sent twice as such: %s', async (query, field) => {
      const response = await app.http.get(`/api/orders?${query}`).set(ann.auth);
      expectProblem(response, 400, 'validation_failed');
      expect(response.body.errors).toEqual([{ field, message: `${field} must be sent once` }]);
    });

    it.each(['constructor', 'toString', '__proto__'])(
      'names a query parameter called %s too, which no DTO declares',
      async (name) => {
        const response = await app.http.get(`/api/orders?${name}=1`).set(ann.auth);
        expectProblem(response, 400, 'validation_failed');
        expect(response.body.errors).toEqual([
          { field: name, message: `property ${name} should not exist` },
        ]);
      },
    );

    it('lists only the orders the filter names, as an export takes it, and keeps the filter in Link', async () => {
      const fern = await signUpAndIn(app, 'Fern');
      const at = async (instant: string, cancelled = false) => {
        const { body } = await create(fern, validOrder()).expect(201);
        if (cancelled)
          await app.http.post(`/api/orders/${body.id}/cancel`).set(fern.auth).expect(200);
        await app.dataSource.query('UPDATE orders SET created_at = $2 WHERE id = $1', [
          body.id,
          instant,
        ]);
        return body.id as string;
      };
      const early = await at('2026-01-01T09:00:00.000Z');
      const first = await at('2026-01-02T10:00:00.000Z'); // the range's first instant, included
      const dropped = await at('2026-01-02T12:00:00.000Z', true);
      const last = await at('2026-01-03T10:00:00.000Z'); // its last instant, included
      const late = await at('2026-01-04T09:00:00.000Z');
      const ids = async (query: string) =>
        (await app.http.get(`/api/orders?${query}`).set(fern.auth).expect(200)).body.data.map(
          (order: { id: string }) => order.id,
        );
      const range = 'createdFrom=2026-01-02T11:00:00%2B01:00&createdTo=2026-01-03T10:00:00Z';
      expect(await ids(range)).toEqual([last, dropped, first]);
      expect(await ids(`${range}&status=pending`)).toEqual([last, first]);
      expect(await ids('status=cancelled')).toEqual([dropped]);
      expect(await ids('createdTo=2026-01-01T09:00:00Z')).toEqual([early]);
      expect(await ids('createdFrom=2026-01-04T09:00:00.000Z')).toEqual([late]);

      const page = await app.http.get(`/api/orders?status=pending&limit=1`).set(fern.auth);
      const next = `/api/orders?limit=1&status=pending&cursor=${page.body.nextCursor}`;
      expect(page.headers.link).toBe(`<${next}>; rel="next"`);
      // Followed link by link, the range (its offset's "+" included) holds on every page.
      const followed: string[] = [];
      let url: string | null = `/api/orders?limit=1&${range}`;
      while (url) {
        const { body, headers } = await app.http.get(url).set(fern.auth).expect(200);
        followed.push(...body.data.map((order: { id: string }) => order.id));
        const link = headers.link as string | undefined;
        url = link ? link.slice(1, link.indexOf('>')) : null;
      }
      expect(followed).toEqual([last, dropped, first]);
    });

    const NO_DATE_TIME = (field: string) =>
      `${field} must be a date-time with an offset in the years 0100 to 9999, such as 2026-11-21T10:00:00Z`;
    it.each([
      [
        'status=shipped',
        'status',
        'status must be one of the following values: pending, cancelled',
      ],
      ['createdFrom=yesterday', 'createdFrom', NO_DATE_TIME('createdFrom')],
      // A raw "+" in a query is a space: the offset must be sent as %2B.
      ['createdFrom=2026-01-02T11:00:00+01:00', 'createdFrom', NO_DATE_TIME('createdFrom')],
      [
        'createdTo=2026-01-01T10:00:00',
        'createdTo',
        'createdTo must be a date-time with an offset (Z or ±hh:mm) and at most millisecond precision, such as 2026-11-21T10:00:00.123Z',
      ],
      [
        'createdFrom=2026-01-02T00:00:00Z&createdTo=2026-01-01T00:00:00Z',
        'createdTo',
        'createdTo must not be before createdFrom',
      ],
    ])(
      'answers 400 for a filter of %s, with the message an export gets',
      async (query, field, message) => {
        const response = await app.http.get(`/api/orders?${query}`).set(ann.auth);
        expectProblem(response, 400, 'validation_failed');
        expect(response.body.errors).toEqual([{ field, message }]);
      },
    );

    it("finds the caller's order by its clientReference, as a 409 order_reference_taken says", async () => {
      const reference = `ref-${randomUUID()}`;
      const { body: first } = await create(ann, { ...validOrder(), clientReference: reference });
      await create(ann, validOrder()).expect(201); // another order of Ann's, not found
      const taken = await create(ann, { ...validOrder(), clientReference: reference });
      expectProblem(taken, 409, 'order_reference_taken');
      expect(taken.body.detail).toContain('GET /api/orders?clientReference=');
      const list = (query: string, user = ann) =>
        app.http.get(`/api/orders?${query}`).set(user.auth).expect(200);
      const found = await list(`clientReference=${reference}`);
      expect(found.body).toEqual({ data: [first], nextCursor: null });
      expect(found.headers.link).toBeUndefined();
      // Bob's orders, other filters, a past cursor: nothing found.
      expect((await list(`clientReference=${reference}`, bob)).body.data).toEqual([]);
      expect((await list(`clientReference=${reference}&status=cancelled`)).body.data).toEqual([]);
      const throughFirst = await list('limit=2'); // the other order, then the first
      expect(throughFirst.body.data[1]).toEqual(first);
      const after = `cursor=${encodeURIComponent(throughFirst.body.nextCursor)}`;
      expect((await list(`clientReference=${reference}&${after}`)).body.data).toEqual([]);
      const spaced = await app.http.get('/api/orders?clientReference=a%20b').set(ann.auth);
      expectProblem(spaced, 400, 'validation_failed');
      expect(spaced.body.errors).toEqual([
        {
          field: 'clientReference',
          message: 'clientReference must be visible ASCII characters without spaces',
        },
      ]);
    });

    it('reads a decimal limit with leading zeros as the number it spells', async () => {
      const dora = await signUpAndIn(app, 'Dora');
      for (let i = 0; i < 4; i++) await create(dora, validOrder()).expect(201);
      const page = await app.http.get('/api/orders?limit=003').set(dora.auth).expect(200);
      expect(page.body.data).toHaveLength(3);
      expect(page.headers.link).toContain('?limit=3&cursor=');
    });
  });
});
