import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { headerOf, rawExchange } from './support/raw-http';
import { startTestApp, TestApp } from './support/test-app';
import { expectProblem, signUpAndIn, SignedUpUser } from './support/users';

/** Where the service once answered other than its OpenAPI document says. */
describe('the service answers as its document says', () => {
  let app: TestApp;
  let user: SignedUpUser;
  beforeAll(async () => {
    app = await startTestApp();
    user = await signUpAndIn(app);
  });
  afterAll(() => app.close());

  it('answers 414 uri_too_long with X-Request-Id and X-Content-Type-Options', async () => {
    const response = await app.http.get(`/api/orders/${'a'.repeat(101)}`).set(user.auth);
    expectProblem(response, 414, 'uri_too_long');
    expect(response.headers['x-request-id']).toEqual(expect.any(String));
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });

  it('answers 431 headers_too_large with X-Request-Id and X-Content-Type-Options', async () => {
    const answer = await rawExchange(
      app,
      `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
    expect(headerOf(answer, 'X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(headerOf(answer, 'X-Content-Type-Options')).toBe('nosniff');
    expect(headerOf(answer, 'Access-Control-Allow-Origin')).toBeUndefined(); // no CORS_ORIGINS
    expect(headerOf(answer, 'Content-Type')).toContain('application/problem+json');
    const problem = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
    expect(problem).toMatchObject({ status: 431, code: 'headers_too_large' });
    expect(problem.title).toBe('Headers too large'); // sentence case, as every other title
  });

  it('answers as usual a Content-Encoding that names nothing read: no 415 the operation does not list', async () => {
    // A GET's body is never read (sent raw: the document, and so its conformance check, has none).
    const codedGet = `GET /health/live HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx`;
    expect(await rawExchange(app, codedGet)).toMatch(/^HTTP\/1\.1 200 /);
    // Without a body there is nothing coded, on an operation that reads bodies too.
    const gone = app.http.delete(`/api/files/${randomUUID()}`).set(user.auth);
    expectProblem(await gone.set('Content-Encoding', 'gzip'), 404, 'not_found');
  });

  const newOrder = () =>
    app.http
      .post('/api/orders')
      .set(user.auth)
      .set('Idempotency-Key', randomUUID())
      .send({ currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 1 }] })
      .expect(201);

  const NO_BODY_TAKEN = 'This operation takes no request body (or only an empty JSON object, {}).';

  it('refuses a body on cancel with 415, other than {}, and leaves the order as it was', async () => {
    const { body: order } = await newOrder();
    const cancel = () => app.http.post(`/api/orders/${order.id}/cancel`).set(user.auth);
    const longerThanEmpty = `{${' '.repeat(100)}}`; // refused before it is read
    for (const body of [{ reason: 'x' }, [], 'null', '"x"', longerThanEmpty]) {
      const refused = await cancel()
        .type('json')
        .send(body as object);
      expectProblem(refused, 415, 'unsupported_media_type');
      expect(refused.body.detail).toBe(NO_BODY_TAKEN);
    }
    expectProblem(await cancel().type('text/plain').send('x'), 415, 'unsupported_media_type');
    // Chunked, even {} has no length to tell before it is read: refused unread.
    const chunked = await new Promise<{ status?: number; body: string }>((answered, failed) => {
      const sent = httpRequest(`${app.baseUrl}/api/orders/${order.id}/cancel`, {
        method: 'POST',
        headers: { ...user.auth, 'Content-Type': 'application/json' },
      });
      sent.on('error', failed).on('response', (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        response.on('end', () => answered({ status: response.statusCode, body }));
      });
      sent.write('{}'); // no Content-Length given: node:http sends it chunked
      sent.end();
    });
    expect([chunked.status, JSON.parse(chunked.body).detail]).toEqual([415, NO_BODY_TAKEN]);
    // Refused as a body the operation does not take, whatever its coding or charset.
    const latin1 = 'application/json; charset=latin1';
    for (const refused of [
      await cancel().type('json').set('Content-Encoding', 'gzip').send(longerThanEmpty),
      await cancel().set('Content-Type', latin1).send(longerThanEmpty),
    ]) {
      expectProblem(refused, 415, 'unsupported_media_type');
      expect(refused.body.detail).toBe(NO_BODY_TAKEN);
    }
    const { body: unchanged } = await app.http
      .get(`/api/orders/${order.id}`)
      .set(user.auth)
      .expect(200);
    expect(unchanged.status).toBe('pending');
  });

  it('cancels without a body, with {} (what axios.post(url, {}) sends), and deletes with {}', async () => {
    const { body: order } = await newOrder();
    const cancel = () => app.http.post(`/api/orders/${order.id}/cancel`).set(user.auth);
    expect((await cancel().expect(200)).body.status).toBe('cancelled');
    // A Content-Type without a body describes nothing: no 415, no "empty JSON body" 400.
    await cancel().set('Content-Type', 'text/plain').expect(200);
    await cancel().set('Content-Type', 'application/json').expect(200);
    // Nor a charset other than UTF-8, which the Content-Type check refuses on a body: it is
    // dropped before that check. Nor one that is no media type.
    await cancel().set('Content-Type', 'application/json; charset=latin1').expect(200);
    await cancel().set('Content-Type', 'not a media type').expect(200);
    const { body: another } = await newOrder();
    const withEmpty = app.http.post(`/api/orders/${another.id}/cancel`).set(user.auth);
    expect((await withEmpty.send({}).expect(200)).body.status).toBe('cancelled');
    const { body: file } = await app.http
      .post('/api/files')
      .set(user.auth)
      .attach('file', Buffer.from('a,b\n'), 'a.csv')
      .expect(201);
    await app.http.delete(`/api/files/${file.id}`).set(user.auth).send({}).expect(204);
  });

  it('refuses null for an optional field the document types as a string', async () => {
    const create = (extra: Record<string, unknown>) =>
      app.http
        .post('/api/orders')
        .set(user.auth)
        .set('Idempotency-Key', randomUUID())
        .send({ currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 1 }], ...extra });
    expectProblem(await create({ clientReference: null }), 400, 'validation_failed');
    expectProblem(await create({ note: null }), 400, 'validation_failed');
    const exportWithNull = app.http
      .post('/api/order-exports')
      .set(user.auth)
      .send({ format: 'csv', status: null });
    expectProblem(await exportWithNull, 400, 'validation_failed');
  });
});
