import { randomUUID } from 'node:crypto';
import { PNG } from './files';
import { image } from './images';
import { TestApp } from './test-app';
import { signUpAndIn, uniqueEmail } from './users';
import { waitFor } from './wait';

/** The parts of an OpenAPI document the tests read. */
export type Header = { $ref?: string; required?: boolean };
export type Response = {
  $ref?: string;
  headers?: Record<string, Header>;
  content?: Record<string, { schema?: Record<string, unknown> }>;
};
export type Operation = {
  tags?: string[];
  parameters?: { name: string; required: boolean }[];
  security?: Record<string, string[]>[];
  responses: Record<string, Response>;
};
export type Document = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { headers: Record<string, Header>; responses: Record<string, Response> };
  tags: { name: string; description?: string }[];
};

/**
 * Sent on every answer and described once in the document's description, or added by HTTP itself:
 * not repeated on each response.
 */
const GENERIC_HEADERS = new Set([
  'date',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-type',
  'content-length',
  'cache-control',
  'x-content-type-options',
]);

type Sent = { status: number; headers: Record<string, string> };

/** What `sent` has that `operation`'s response for its status leaves out, and the reverse. */
function compare(document: Document, operation: string, sent: Sent): string[] {
  const [method, path] = operation.split(' ');
  const documented = document.paths[path][method.toLowerCase()].responses[sent.status];
  if (!documented) return [`${operation} ${sent.status}: status not documented`];
  const headers = Object.entries(documented.headers ?? {}).map(([name, header]) => ({
    name: name.toLowerCase(),
    required: (header.$ref ? document.components.headers[name] : header).required === true,
  }));
  const names = new Set(headers.map(({ name }) => name));
  const undocumented = Object.keys(sent.headers).filter(
    (name) => !GENERIC_HEADERS.has(name) && !names.has(name),
  );
  const missing = headers.filter(({ name, required }) => required && !(name in sent.headers));
  return [
    ...undocumented.map((name) => `${operation} ${sent.status}: sends undocumented ${name}`),
    ...missing.map(({ name }) => `${operation} ${sent.status}: does not send required ${name}`),
  ];
}

/** One answer of (nearly) every documented kind that a single healthy service can give. */
export async function sendSampleRequests(app: TestApp, document: Document): Promise<string[]> {
  const mismatches: string[] = [];
  const check = async (operation: string, request: PromiseLike<Sent>, status: number) => {
    const sent = await request;
    expect(`${operation} ${sent.status}`).toBe(`${operation} ${status}`);
    mismatches.push(...compare(document, operation, sent));
    return sent as Sent & { body: Record<string, string> };
  };
  const { http } = app;
  const newId = randomUUID();
  const user = { email: uniqueEmail(), name: 'Put', password: 'long enough' };
  await check('PUT /api/users/{id}', http.put(`/api/users/${newId}`).send(user), 201);
  const token = await check(
    'POST /api/auth/token',
    http.post('/api/auth/token').send({ email: user.email, password: user.password }),
    200,
  );
  const auth = { Authorization: `Bearer ${token.body.accessToken}` };
  const replace = http
    .put(`/api/users/${newId}`)
    .set(auth)
    .send({ ...user, password: undefined });
  const replaced = await check('PUT /api/users/{id}', replace, 200);
  const ifNoneMatch = { 'If-None-Match': replaced.headers.etag };
  await check('GET /api/users/{id}', http.get(`/api/users/${newId}`).set(auth), 200);
  await check(
    'GET /api/users/{id}',
    http.get(`/api/users/${newId}`).set(auth).set(ifNoneMatch),
    304,
  );
  await checkOrders(check, app);
  await checkFiles(check, app);
  await checkOrderExports(check, app);
  await check('GET /health/live', http.get('/health/live'), 200);
  await check('GET /health/ready', http.get('/health/ready'), 200);
  await check('POST /api/health/create-test', http.post('/api/health/create-test'), 201);
  await check('GET /api/orders', http.get('/api/orders'), 401);
  return mismatches;
}

type Check = (
  operation: string,
  request: PromiseLike<Sent>,
  status: number,
) => Promise<Sent & { body: Record<string, string> }>;

async function checkOrders(check: Check, app: TestApp) {
  const { auth } = await signUpAndIn(app);
  const order = { currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 5 }] };
  const create = (key: string, clientReference: string) =>
    app.http
      .post('/api/orders')
      .set(auth)
      .set('Idempotency-Key', key)
      .send({ ...order, clientReference });
  const created = await check('POST /api/orders', create('first', 'ref-1'), 201);
  await check('POST /api/orders', create('first', 'ref-1'), 201); // the replay
  await check('POST /api/orders', create('second', 'ref-1'), 409);
  await check('POST /api/orders', create('second', 'ref-1'), 409); // the stored conflict, replayed
  await check('POST /api/orders', create('third', 'ref-2'), 201);
  await check('GET /api/orders', app.http.get('/api/orders?limit=1').set(auth), 200); // with Link
  const id = created.body.id;
  await check('GET /api/orders/{id}', app.http.get(`/api/orders/${id}`).set(auth), 200);
  await check(
    'POST /api/orders/{id}/cancel',
    app.http.post(`/api/orders/${id}/cancel`).set(auth),
    200,
  );
}

async function checkThumbnails(check: Check, app: TestApp, auth: Record<string, string>) {
  const post = (bytes: Buffer, filename: string) =>
    app.http.post('/api/files').set(auth).attach('file', bytes, { filename });
  const picture = await check('POST /api/files', post(await image('png', 40, 30), 'p.png'), 201);
  const thumbnail = `/api/files/${picture.body.id}/thumbnail`;
  await waitFor('the thumbnail', async () => (await app.http.get(thumbnail).set(auth)).ok);
  const read = (headers: Record<string, string>) => app.http.get(thumbnail).set(auth).set(headers);
  const served = await check('GET /api/files/{id}/thumbnail', read({}), 200);
  await check('GET /api/files/{id}/thumbnail', read({ 'If-None-Match': served.headers.etag }), 304);
  const text = await check('POST /api/files', post(Buffer.from('a,b\n'), 't.csv'), 201);
  const none = app.http.get(`/api/files/${text.body.id}/thumbnail`).set(auth);
  await check('GET /api/files/{id}/thumbnail', none, 404);
}

async function checkFiles(check: Check, app: TestApp) {
  const { auth } = await signUpAndIn(app);
  const upload = app.http
    .post('/api/files')
    .set(auth)
    .attach('file', PNG, { filename: 'pixel.png', contentType: 'image/png' });
  const file = await check('POST /api/files', upload, 201);
  const content = `/api/files/${file.body.id}/content`;
  const read = (headers: Record<string, string>) => app.http.get(content).set(auth).set(headers);
  const whole = await check('GET /api/files/{id}/content', read({}), 200);
  await check('GET /api/files/{id}/content', read({ Range: 'bytes=0-3' }), 206);
  await check('GET /api/files/{id}/content', read({ 'If-None-Match': whole.headers.etag }), 304);
  await check('GET /api/files/{id}/content', read({ Range: 'bytes=9999-' }), 416);
  await check('GET /api/files/{id}', app.http.get(`/api/files/${file.body.id}`).set(auth), 200);
  await checkThumbnails(check, app, auth);
  await check('GET /api/files', app.http.get('/api/files?limit=1').set(auth), 200); // with Link
  await check('GET /api/events', app.http.get('/api/events?limit=2').set(auth), 200);
  await check('GET /api/events', app.http.get('/api/events?after=x').set(auth), 400);
  // The stream's 200 never ends, so supertest cannot check it: events-stream.e2e-spec.ts does.
  const stream = (accept: string) =>
    app.http.get('/api/events/stream?after=x').set(auth).accept(accept);
  await check('GET /api/events/stream', stream('text/event-stream'), 400);
  await check('GET /api/events/stream', stream('application/json'), 406);
  await check(
    'DELETE /api/files/{id}',
    app.http.delete(`/api/files/${file.body.id}`).set(auth),
    204,
  );
}

async function checkOrderExports(check: Check, app: TestApp) {
  const { auth } = await signUpAndIn(app);
  const create = () =>
    app.http.post('/api/order-exports').set(auth).set('Idempotency-Key', 'export').send({
      format: 'csv',
    });
  const accepted = await check('POST /api/order-exports', create(), 202);
  await check('POST /api/order-exports', create(), 202); // the replay
  const monitor = `/api/order-exports/${accepted.body.id}`;
  await check('GET /api/order-exports/{id}', app.http.get(monitor).set(auth), 200); // any state
  // The ETag changes with the state: the conditional read comes once the export has finished.
  const finished = await waitFor('the export to finish', async () => {
    const read = await app.http.get(monitor).set(auth);
    return read.body.status === 'succeeded' && read;
  });
  const ifNoneMatch = { 'If-None-Match': finished.headers.etag };
  await check('GET /api/order-exports/{id}', app.http.get(monitor).set(auth), 200);
  await check('GET /api/order-exports/{id}', app.http.get(monitor).set(auth).set(ifNoneMatch), 304);
  await check('GET /api/order-exports', app.http.get('/api/order-exports').set(auth), 200);
}
