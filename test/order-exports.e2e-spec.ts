import { createHash, randomUUID } from 'node:crypto';
import { exportedCsv, finishedExport, orderAt, postExport } from './support/order-exports';
import { startTestApp, TestApp } from './support/test-app';
import { expectProblem, signUpAndIn, SignedUpUser } from './support/users';

const HEADER = 'id,createdAt,status,currency,total,clientReference,itemCount';

describe('order exports over HTTP', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());
  const exportsOf = async (user: SignedUpUser) =>
    Number(
      (
        await app.dataSource.query('SELECT count(*) AS n FROM order_exports WHERE user_id = $1', [
          user.id,
        ])
      )[0].n,
    );

  describe('POST /api/order-exports', () => {
    it('answers 202 with Location, Retry-After, ETag, no-store and the queued export', async () => {
      const user = await signUpAndIn(app);
      const accepted = await postExport(app, user, { format: 'csv' }).expect(202);
      expect(accepted.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        status: 'queued',
        format: 'csv',
        filter: { status: null, createdFrom: null, createdTo: null },
        rowCount: null,
        file: null,
        error: null,
        createdAt: expect.any(String),
        updatedAt: accepted.body.createdAt,
      });
      expect(accepted.headers.location).toBe(`/api/order-exports/${accepted.body.id}`);
      expect(accepted.headers['retry-after']).toBe('1');
      expect(accepted.headers.etag).toMatch(/^"[\w-]+"$/);
      expect(accepted.headers['cache-control']).toBe('no-store');
      expect(accepted.headers['content-type']).toBe('application/json; charset=utf-8');
    });

    it('keeps the filter it was given, its instants in UTC', async () => {
      const user = await signUpAndIn(app);
      const filter = {
        status: 'cancelled',
        createdFrom: '2026-01-02T11:00:00+01:00',
        createdTo: '2026-01-02T10:00:00.5Z',
      };
      const accepted = await postExport(app, user, { format: 'csv', ...filter }).expect(202);
      expect(accepted.body.filter).toEqual({
        status: 'cancelled',
        createdFrom: '2026-01-02T10:00:00.000Z',
        createdTo: '2026-01-02T10:00:00.500Z',
      });
    });

    it.each([
      ['an unknown format', { format: 'xlsx' }, 'format'],
      ['no format', {}, 'format'],
      ['an unknown status', { format: 'csv', status: 'shipped' }, 'status'],
      ['a createdFrom that is no date', { format: 'csv', createdFrom: 'yesterday' }, 'createdFrom'],
      [
        'a date-time without offset',
        { format: 'csv', createdTo: '2026-01-01T10:00:00' },
        'createdTo',
      ],
      [
        'a day that does not exist',
        { format: 'csv', createdFrom: '2026-02-30T00:00:00Z' },
        'createdFrom',
      ],
      [
        'createdTo before createdFrom',
        { format: 'csv', createdFrom: '2026-01-02T00:00:00Z', createdTo: '2026-01-01T00:00:00Z' },
        'createdTo',
      ],
      ['an unknown field', { format: 'csv', userId: randomUUID() }, 'userId'],
    ])('answers 400 validation_failed for %s and queues nothing', async (_case, body, field) => {
      const user = await signUpAndIn(app);
      const response = await postExport(app, user, body, randomUUID());
      expectProblem(response, 400, 'validation_failed');
      expect(response.body.errors).toEqual(
        expect.arrayContaining([{ field, message: expect.any(String) }]),
      );
      expect(await exportsOf(user)).toBe(0);
    });

    // The message names the rule the value breaks first: a value that is no date-time at all is
    // told the plain form, one finer than the millisecond what the pattern adds.
    it.each([
      [
        'no date-time at all',
        'createdFrom',
        'yesterday',
        'createdFrom must be a date-time with an offset in the years 0100 to 9999, such as 2026-11-21T10:00:00Z',
      ],
      [
        'a year before 0100',
        'createdFrom',
        '0050-06-01T00:00:00Z',
        'createdFrom must be a date-time with an offset in the years 0100 to 9999, such as 2026-11-21T10:00:00Z',
      ],
      [
        'an instant before 0100 in UTC',
        'createdFrom',
        '0100-01-01T00:30:00+01:00',
        'createdFrom must be from 0100-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z in UTC',
      ],
      [
        'an instant after 9999 in UTC',
        'createdTo',
        '9999-12-31T23:59:59.999-12:00',
        'createdTo must be from 0100-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z in UTC',
      ],
      [
        'a date-time finer than the millisecond',
        'createdTo',
        '2026-01-01T00:00:00.123456Z',
        'createdTo must be a date-time with an offset (Z or ±hh:mm) and at most millisecond precision, such as 2026-11-21T10:00:00.123Z',
      ],
      ...(['createdFrom', 'status', 'format'] as const).flatMap((field) =>
        [null, 1767225600000].map((value): [string, string, unknown, string] => [
          `a ${field} of ${JSON.stringify(value)}: the type's message`,
          field,
          value,
          `${field} must be a string`,
        ]),
      ),
    ])('says what is wrong with %s', async (_case, field, value, message) => {
      const user = await signUpAndIn(app);
      const response = await postExport(app, user, { format: 'csv', [field]: value }, randomUUID());
      expectProblem(response, 400, 'validation_failed');
      expect(response.body.errors).toEqual([{ field, message }]);
    });

    it('needs a Bearer token', async () => {
      expectProblem(
        await app.http.post('/api/order-exports').send({ format: 'csv' }),
        401,
        'unauthorized',
      );
    });
  });

  describe('GET /api/order-exports/{id}', () => {
    it("answers 404 for another user's export and for an unknown id, 400 for a non-UUID", async () => {
      const [owner, other] = await Promise.all([signUpAndIn(app), signUpAndIn(app)]);
      const { body } = await postExport(app, owner, { format: 'csv' }).expect(202);
      const get = (user: SignedUpUser, id: string) =>
        app.http.get(`/api/order-exports/${id}`).set(user.auth);
      expectProblem(await get(other, body.id), 404, 'not_found');
      expectProblem(await get(owner, randomUUID()), 404, 'not_found');
      expectProblem(await get(owner, 'not-a-uuid'), 400, 'validation_failed');
    });

    it('ends succeeded with an ETag and without Retry-After; If-None-Match answers 304', async () => {
      const user = await signUpAndIn(app);
      const { body } = await postExport(app, user, { format: 'csv' }).expect(202);
      await finishedExport(app, user, body.id);
      const read = await app.http.get(`/api/order-exports/${body.id}`).set(user.auth).expect(200);
      expect(read.headers['retry-after']).toBeUndefined();
      expect(read.headers.etag).toMatch(/^"[\w-]+"$/);
      await app.http
        .get(`/api/order-exports/${body.id}`)
        .set(user.auth)
        .set('If-None-Match', read.headers.etag)
        .expect(304);
    });
  });

  describe('the CSV', () => {
    it('of no orders is the header line alone, with rowCount 0', async () => {
      const user = await signUpAndIn(app);
      const { done, csv } = await exportedCsv(app, user);
      expect([done.rowCount, csv]).toEqual([0, `${HEADER}\r\n`]);
    });

    it('lists every order newest first, quoting as RFC 4180 has it, as a file of the caller', async () => {
      const user = await signUpAndIn(app);
      const first = await orderAt(app, user, '2026-01-01T10:00:00Z', {
        items: 2,
        clientReference: 'a,b"c',
      });
      const second = await orderAt(app, user, '2026-01-02T10:00:00Z', { items: 1 });
      await app.http.post(`/api/orders/${second.id}/cancel`).set(user.auth).expect(200);
      const third = await orderAt(app, user, '2026-01-03T10:00:00Z', {
        items: 3,
        clientReference: 'plain',
      });
      const { done, csv, lines, download } = await exportedCsv(app, user);
      expect(lines).toEqual([
        HEADER,
        `${third.id},2026-01-03T10:00:00.000Z,pending,EUR,${third.total},plain,3`,
        `${second.id},2026-01-02T10:00:00.000Z,cancelled,EUR,${second.total},,1`,
        `${first.id},2026-01-01T10:00:00.000Z,pending,EUR,${first.total},"a,b""c",2`,
      ]);
      expect(done.rowCount).toBe(3);
      expect(download.headers['content-type']).toBe('text/csv; charset=utf-8');
      const file = await app.http.get(`/api/files/${done.file!.id}`).set(user.auth).expect(200);
      expect(done.file).toEqual(file.body);
      expect(file.body).toMatchObject({
        filename: `orders-${done.id}.csv`,
        contentType: 'text/csv',
        size: Buffer.byteLength(csv),
        sha256: createHash('sha256').update(csv).digest('hex'),
      });
    });

    it('keeps to the status and the creation times asked for, both ends included', async () => {
      const user = await signUpAndIn(app);
      const at = (day: number) => `2026-03-0${day}T08:30:00.000Z`;
      const orders = [];
      for (const day of [1, 2, 3]) orders.push(await orderAt(app, user, at(day), { items: 1 }));
      await app.http.post(`/api/orders/${orders[1].id}/cancel`).set(user.auth).expect(200);
      const idsOf = async (filter: object) =>
        (await exportedCsv(app, user, filter)).lines.slice(1).map((line) => line.split(',')[0]);
      expect(await idsOf({ status: 'cancelled' })).toEqual([orders[1].id]);
      expect(await idsOf({ status: 'pending' })).toEqual([orders[2].id, orders[0].id]);
      expect(await idsOf({ createdFrom: at(2) })).toEqual([orders[2].id, orders[1].id]);
      expect(await idsOf({ createdTo: at(2) })).toEqual([orders[1].id, orders[0].id]);
      expect(await idsOf({ createdFrom: at(2), createdTo: at(2) })).toEqual([orders[1].id]);
    });

    it('pages through thousands of orders, ties on createdAt broken by id, each once', async () => {
      const user = await signUpAndIn(app);
      // Three instants to the microsecond, so pages end inside runs of equal created_at.
      await app.dataSource.query(
        `INSERT INTO orders (id, user_id, status, currency, total, created_at, updated_at)
         SELECT gen_random_uuid(), $1, 'pending', 'EUR', n,
                '2026-04-01 00:00:00.123456+00'::timestamptz + (n % 3) * interval '1 microsecond', now()
           FROM generate_series(1, 2345) AS n`,
        [user.id],
      );
      const expected = await app.dataSource.query(
        'SELECT id FROM orders WHERE user_id = $1 ORDER BY created_at DESC, id DESC',
        [user.id],
      );
      const { done, lines } = await exportedCsv(app, user);
      expect(done.rowCount).toBe(2345);
      expect(lines.slice(1).map((line) => line.split(',')[0])).toEqual(
        expected.map((row: { id: string }) => row.id),
      );
    });

    it('is deletable like any file; the export then shows no file', async () => {
      const user = await signUpAndIn(app);
      await orderAt(app, user, '2026-05-01T00:00:00Z', { items: 1 });
      const { done } = await exportedCsv(app, user);
      await app.http.delete(`/api/files/${done.file!.id}`).set(user.auth).expect(204);
      await app.http.get(done.file!.url).set(user.auth).expect(404);
      const after = await app.http.get(`/api/order-exports/${done.id}`).set(user.auth).expect(200);
      expect(after.body).toMatchObject({ status: 'succeeded', rowCount: 1, file: null });
    });
  });
});
