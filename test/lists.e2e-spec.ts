import { CSV } from './support/files';
import { finishedExport, postExport } from './support/order-exports';
import { startTestApp, TestApp } from './support/test-app';
import { expectProblem, signUpAndIn, SignedUpUser } from './support/users';

type Item = { id: string; file?: unknown };

/**
 * The lists of files and of exports page as the orders list does (newest first, `limit`, an opaque
 * `cursor`, `Link` to the next page), and each item is the resource as its own GET shows it.
 */
describe('GET /api/files and GET /api/order-exports', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  const upload = async (user: SignedUpUser, name: string) =>
    (
      await app.http
        .post('/api/files')
        .set(user.auth)
        .attach('file', CSV, { filename: name, contentType: 'text/csv' })
        .expect(201)
    ).body as Item;

  /** Every page from `first` on, by the `Link` of each; their items, and how many pages. */
  async function pageThrough(user: SignedUpUser, first: string) {
    const items: Item[] = [];
    let url: string | null = first;
    let pages = 0;
    while (url) {
      const page = await app.http.get(url).set(user.auth).expect(200);
      expect(page.headers['cache-control']).toBe('private, no-cache');
      items.push(...(page.body.data as Item[]));
      const link = page.headers.link as string | undefined;
      const path = first.slice(0, first.indexOf('?'));
      if (page.body.nextCursor)
        expect(link).toBe(`<${path}?limit=2&cursor=${page.body.nextCursor}>; rel="next"`);
      else expect(link).toBeUndefined();
      url = link ? link.slice(1, link.indexOf('>')) : null;
      pages++;
    }
    return { items, pages };
  }

  it("pages through the caller's files newest first, each exactly once, as GET shows each", async () => {
    const [carol, dave] = await Promise.all([signUpAndIn(app), signUpAndIn(app)]);
    const uploaded: Item[] = [];
    for (const name of ['a.csv', 'b.csv', 'c.csv', 'd.csv', 'e.csv'])
      uploaded.push(await upload(carol, name));
    const davesOwn = await upload(dave, 'other.csv');

    const { items, pages } = await pageThrough(carol, '/api/files?limit=2');
    expect(pages).toBe(3);
    const read = (id: string) => app.http.get(`/api/files/${id}`).set(carol.auth).expect(200);
    const shown = await Promise.all(
      [...uploaded].reverse().map(async ({ id }) => (await read(id)).body),
    );
    expect(items).toEqual(shown);
    const ofDave = await app.http.get('/api/files').set(dave.auth).expect(200);
    expect(ofDave.body).toEqual({ data: [davesOwn], nextCursor: null });
  });

  it('gives files created in the same millisecond each exactly once, in the order of their ids', async () => {
    const erin = await signUpAndIn(app);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await upload(erin, `same-${i}.csv`)).id);
    await app.dataSource.query(
      `UPDATE files SET created_at = '2026-01-01T00:00:00.000Z' WHERE user_id = $1`,
      [erin.id],
    );
    const { items } = await pageThrough(erin, '/api/files?limit=2');
    expect(items.map(({ id }) => id)).toEqual([...ids].sort().reverse());
  });

  it("pages through the caller's exports, each with its CSV's file as GET shows it, null once deleted", async () => {
    const [fay, gus] = await Promise.all([signUpAndIn(app), signUpAndIn(app)]);
    const accepted: string[] = [];
    for (let i = 0; i < 3; i++)
      accepted.push((await postExport(app, fay, { format: 'csv' }).expect(202)).body.id);
    const done = [];
    for (const id of accepted) done.push(await finishedExport(app, fay, id));
    await app.http.delete(`/api/files/${done[1].file!.id}`).set(fay.auth).expect(204);

    const { items, pages } = await pageThrough(fay, '/api/order-exports?limit=2');
    expect(pages).toBe(2);
    const monitor = (id: string) => app.http.get(`/api/order-exports/${id}`).set(fay.auth);
    const shown = await Promise.all(
      [...accepted].reverse().map(async (id) => (await monitor(id)).body),
    );
    expect(items).toEqual(shown);
    expect(items.map((item) => item.file === null)).toEqual([false, true, false]);
    const ofGus = await app.http.get('/api/order-exports').set(gus.auth).expect(200);
    expect(ofGus.body).toEqual({ data: [], nextCursor: null });
  });

  it("shows, on an export's page, only a file of the caller's own as its CSV", async () => {
    const [ida, jon] = await Promise.all([signUpAndIn(app), signUpAndIn(app)]);
    const exported = (await postExport(app, ida, { format: 'csv' }).expect(202)).body.id as string;
    await finishedExport(app, ida, exported);
    // What no path of the service writes, the test-only way: an export naming another's file.
    const jons = await upload(jon, 'j.csv');
    await app.dataSource.query('UPDATE order_exports SET file_id = $2 WHERE id = $1', [
      exported,
      jons.id,
    ]);
    const page = await app.http.get('/api/order-exports').set(ida.auth).expect(200);
    expect(page.body.data.map((item: Item) => [item.id, item.file])).toEqual([[exported, null]]);
  });

  it.each([['/api/files'], ['/api/order-exports']])(
    '%s answers 400 for a bad limit, a cursor it did not make or an unknown parameter; 401 without a token',
    async (path) => {
      const hal = await signUpAndIn(app);
      for (const query of ['limit=0', 'limit=101', 'cursor=bogus', 'limt=5'])
        expectProblem(
          await app.http.get(`${path}?${query}`).set(hal.auth),
          400,
          'validation_failed',
        );
      expectProblem(await app.http.get(path), 401, 'unauthorized');
    },
  );
});
