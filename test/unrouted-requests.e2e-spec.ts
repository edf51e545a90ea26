import { orderCalls, validOrder } from './support/orders';
import { startTestApp, TestApp } from './support/test-app';
import { expectProblem, signUpAndIn, SignedUpUser } from './support/users';

const DOCUMENT = "the API's operations are in /api/openapi.json.";

/**
 * A request no route serves: 405 with Allow where its path takes other methods, else 404
 * route_not_found, never the not_found of a resource that is gone; the URL is what is wrong,
 * whatever its body or token.
 */
describe('requests no operation answers', () => {
  let app: TestApp, ann: SignedUpUser;
  beforeAll(async () => {
    app = await startTestApp();
    ann = await signUpAndIn(app, 'Ann');
  });
  afterAll(() => app.close());

  const { create } = orderCalls(() => app);

  it('answers 405 and Allow for a method the path does not take, whatever the body', async () => {
    const { body: order } = await create(ann, validOrder()).expect(201);
    const deleted = await app.http.delete(`/api/orders/${order.id}`).set(ann.auth);
    expectProblem(deleted, 405, 'method_not_allowed');
    expect(deleted.headers.allow).toBe('GET, HEAD');
    const put = await app.http.put('/api/orders').set(ann.auth).send(validOrder());
    expectProblem(put, 405, 'method_not_allowed');
    expect(put.headers.allow).toBe('GET, HEAD, POST');
    const textDelete = app.http.delete(`/api/orders/${order.id}`).set(ann.auth);
    expectProblem(await textDelete.type('text/plain').send('x'), 405, 'method_not_allowed');
    const notJson = app.http.delete(`/api/orders/${order.id}`).set(ann.auth).type('json');
    expectProblem(await notJson.send('{"x":'), 405, 'method_not_allowed');
    await app.http.get(`/api/orders/${order.id}`).set(ann.auth).expect(200); // still there
  });

  it('answers 404 route_not_found naming the method and path, with or without a token', async () => {
    const noRoute = await app.http.get('/api/no-such-path?x=1').set(ann.auth);
    expectProblem(noRoute, 404, 'route_not_found');
    expect(noRoute.body.detail).toBe(`No operation answers GET /api/no-such-path; ${DOCUMENT}`);
    // Which URLs exist is no secret: the document lists them.
    expectProblem(await app.http.delete('/api/no-such-path'), 404, 'route_not_found');
    // A file the docs' static route does not have.
    expectProblem(await app.http.get('/api/docs/no-such-file.js'), 404, 'route_not_found');
    const long = await app.http.get(`/api/${'x'.repeat(1000)}`);
    expectProblem(long, 404, 'route_not_found');
    expect(long.body.detail).toBe(`No operation answers GET /api/${'x'.repeat(195)}…; ${DOCUMENT}`);
  });

  it('answers 404 route_not_found whatever the body: of no type a route reads, not JSON, coded, not UTF-8, multipart', async () => {
    const post = () => app.http.post('/api/no-such-path').set(ann.auth);
    expectProblem(await post().type('text/plain').send('x'), 404, 'route_not_found');
    expectProblem(await post().type('json').send('{"x":'), 404, 'route_not_found');
    const gzipped = post().type('json').set('Content-Encoding', 'gzip');
    expectProblem(await gzipped.send('{}'), 404, 'route_not_found');
    const latin1 = post().set('Content-Type', 'application/json; charset=latin1');
    expectProblem(await latin1.send('{}'), 404, 'route_not_found');
    const upload = post().attach('file', Buffer.from('a,b\n'), 'x.csv');
    expectProblem(await upload, 404, 'route_not_found');
  });

  it('takes a path a route matches only with an empty id for one no route serves', async () => {
    for (const [method, path] of [
      ['get', '/api/users/'],
      ['post', '/api/orders//cancel'],
      ['delete', '/api/files/'],
    ] as const) {
      expectProblem(await app.http[method](path).set(ann.auth), 404, 'route_not_found');
      expectProblem(await app.http[method](path), 404, 'route_not_found'); // no token: no 401
      // Nor the 415 of an operation that takes no body (cancel, a file's DELETE).
      const text = app.http[method](path).set(ann.auth).type('text/plain');
      expectProblem(await text.send('x'), 404, 'route_not_found');
      const json = app.http[method](path).set(ann.auth).type('json');
      expectProblem(await json.send('{"reason":"x"}'), 404, 'route_not_found');
    }
    const broken = app.http.put('/api/users/').set(ann.auth).type('json');
    expectProblem(await broken.send('{"x":'), 404, 'route_not_found');
  });
});
