import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from './support/files';
import { startTestApp, TestApp } from './support/test-app';
import { signUpAndIn, uniqueEmail } from './support/users';

type Header = { $ref?: string; required?: boolean };
type Response = {
  headers?: Record<string, Header>;
  content?: Record<string, { schema?: Record<string, unknown> }>;
};
type Operation = {
  parameters?: { name: string; required: boolean }[];
  security?: Record<string, string[]>[];
  responses: Record<string, Response>;
};
type Document = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { headers: Record<string, Header> };
};
const committed = JSON.parse(
  readFileSync(join(__dirname, '..', 'openapi.json'), 'utf8'),
) as Document;

const operationsOf = (document: Document) =>
  Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      name: `${method.toUpperCase()} ${path}`,
      operation,
    })),
  );
const responsesOf = (document: Document) =>
  operationsOf(document).flatMap(({ name, operation }) =>
    Object.entries(operation.responses).map(([status, response]) => ({
      name: `${name} ${status}`,
      status: Number(status),
      operation,
      response,
    })),
  );
const takesIdempotencyKey = (operation: Operation) =>
  (operation.parameters ?? []).some((parameter) => parameter.name === 'Idempotency-Key');
const without = (header: string, responses: { name: string; response: Response }[]) =>
  responses.filter(({ response }) => !response.headers?.[header]).map(({ name }) => name);

/** Operations that need a Bearer token (PUT /api/users/{id} needs one only to replace). */
const BEARER_OPERATIONS = [
  'GET /api/users/{id}',
  'PUT /api/users/{id}',
  'POST /api/orders',
  'GET /api/orders',
  'GET /api/orders/{id}',
  'POST /api/orders/{id}/cancel',
  'POST /api/files',
  'GET /api/files/{id}',
  'DELETE /api/files/{id}',
  'GET /api/files/{id}/content',
];

describe('OpenAPI', () => {
  let app: TestApp;
  let served: Document;
  beforeAll(async () => {
    app = await startTestApp();
    served = (await app.http.get('/api/openapi.json').expect(200)).body as Document;
  });
  afterAll(() => app.close());
  const response = (operation: string, status: number) => {
    const [method, path] = operation.split(' ');
    return served.paths[path][method.toLowerCase()].responses[status];
  };

  it('serves the document at /api/openapi.json with the same operations as the committed openapi.json', async () => {
    expect(served.openapi).toBe('3.1.0');
    const operations = (document: Document) =>
      operationsOf(document)
        .map(({ name }) => name)
        .sort();
    expect(operations(served)).toEqual(operations(committed));
    expect(operations(served)).toEqual(
      expect.arrayContaining([
        'POST /api/orders',
        'POST /api/files',
        'GET /api/files/{id}/content',
      ]),
    );
  });

  it('serves a browsable UI at /api/docs', async () => {
    const page = await app.http.get('/api/docs').redirects(1).expect(200);
    expect(page.text).toContain('swagger-ui');
  });

  it('documents the Idempotency-Key on every create, required for orders, with its TTL', () => {
    const key = (path: string) =>
      committed.paths[path].post.parameters?.find(
        (parameter) => parameter.name === 'Idempotency-Key',
      );
    expect(key('/api/orders')).toMatchObject({ required: true });
    expect(key('/api/users')).toMatchObject({ required: false });
    expect(key('/api/files')).toMatchObject({ required: false });
    expect(JSON.stringify(committed)).toContain('24 h');
  });

  it('documents Retry-After on every 429 and 503, and on every 409 of a create (key in use)', () => {
    const retryable = responsesOf(served).filter(
      ({ status, operation }) =>
        status === 429 || status === 503 || (status === 409 && takesIdempotencyKey(operation)),
    );
    expect(retryable.length).toBeGreaterThan(15);
    expect(without('Retry-After', retryable)).toEqual([]);
  });

  it('documents X-Request-Id on every response, and Idempotent-Replayed where a stored answer is replayed', () => {
    expect(without('X-Request-Id', responsesOf(served))).toEqual([]);
    const replayable = ['POST /api/users 201', 'POST /api/users 409']
      .concat(['POST /api/orders 201', 'POST /api/orders 409', 'POST /api/files 201'])
      .map((name) => {
        const [method, path, status] = name.split(' ');
        return { name, response: response(`${method} ${path}`, Number(status)) };
      });
    expect(without('Idempotent-Replayed', replayable)).toEqual([]);
  });

  it('lists each security requirement once: Bearer on every authenticated operation', () => {
    const repeated = operationsOf(served).filter(({ operation }) => {
      const requirements = (operation.security ?? []).map((item) => JSON.stringify(item));
      return new Set(requirements).size !== requirements.length;
    });
    expect(repeated.map(({ name }) => name)).toEqual([]);
    const bearer = operationsOf(served)
      .filter(({ operation }) => operation.security?.some((item) => 'bearer' in item))
      .map(({ name }) => name);
    expect(bearer.sort()).toEqual([...BEARER_OPERATIONS].sort());
    expect(served.paths['/api/users/{id}'].put.security).toContainEqual({}); // creating is public
  });

  it('documents the validators and locations each answer sends', () => {
    const documented = (operation: string, status: number) =>
      Object.keys(response(operation, status).headers ?? {});
    expect(documented('PUT /api/users/{id}', 201)).toEqual(
      expect.arrayContaining(['Location', 'ETag']),
    );
    expect(documented('PUT /api/users/{id}', 200)).toContain('ETag');
    expect(documented('POST /api/orders/{id}/cancel', 200)).toContain('ETag');
    expect(documented('GET /api/files/{id}/content', 416)).toEqual(
      expect.arrayContaining(['ETag', 'Content-Range']),
    );
    const notModified = responsesOf(served).filter(({ status }) => status === 304);
    expect(notModified).toHaveLength(4);
    expect(without('ETag', notModified)).toEqual([]);
  });

  it('gives every answer with a body a schema; file content is binary', () => {
    const bodiless = responsesOf(served).filter(
      ({ status, response }) =>
        status !== 204 &&
        status !== 304 &&
        !Object.values(response.content ?? {}).some((media) => media.schema),
    );
    expect(bodiless.map(({ name }) => name)).toEqual([]);
    for (const status of [200, 206]) {
      const media = Object.values(response('GET /api/files/{id}/content', status).content ?? {});
      expect(media.length).toBeGreaterThan(0);
      for (const { schema } of media) expect(schema).toEqual({ type: 'string', format: 'binary' });
    }
  });

  it('documents every header the service sends on its answers, and sends every header it requires', async () => {
    const mismatches = await sendSampleRequests(app, served);
    expect(mismatches).toEqual([]);
  });
});

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
async function sendSampleRequests(app: TestApp, document: Document): Promise<string[]> {
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
  await check(
    'DELETE /api/files/{id}',
    app.http.delete(`/api/files/${file.body.id}`).set(auth),
    204,
  );
}
