import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Document,
  type Operation,
  type Response,
  sendSampleRequests,
} from './support/openapi-conformance';
import type { Exchange } from './support/conformance/exchange';
import { mismatchesOf } from './support/conformance/recorder';
import { DOCS_CONTENT_POLICY } from '../src/http/openapi';
import { startTestApp, TestApp } from './support/test-app';

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
      response: resolved(document, response),
    })),
  );
/** A response, or the shared one (components.responses) it refers to. */
const resolved = (document: Document, response: Response) =>
  response.$ref
    ? document.components.responses[response.$ref.replace('#/components/responses/', '')]
    : response;
const takesIdempotencyKey = (operation: Operation) =>
  (operation.parameters ?? []).some((parameter) => parameter.name === 'Idempotency-Key');
const without = (header: string, responses: { name: string; response: Response }[]) =>
  responses.filter(({ response }) => !response.headers?.[header]).map(({ name }) => name);

/** Operations that need a Bearer token (PUT /api/users/{id} needs one only to replace). */
const BEARER_OPERATIONS = [
  'GET /api/users/me',
  'GET /api/users/{id}',
  'PUT /api/users/{id}',
  'POST /api/orders',
  'GET /api/orders',
  'GET /api/orders/{id}',
  'POST /api/orders/{id}/cancel',
  'POST /api/files',
  'GET /api/files',
  'GET /api/files/{id}',
  'DELETE /api/files/{id}',
  'GET /api/files/{id}/links',
  'GET /api/files/{id}/content',
  'GET /api/files/{id}/thumbnail',
  'GET /api/events',
  'GET /api/events/stream/link',
  'GET /api/events/stream',
  'POST /api/order-exports',
  'GET /api/order-exports',
  'GET /api/order-exports/{id}',
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

  it("serves it as YAML too, under YAML's registered media type", async () => {
    const yaml = await app.http.get('/api/openapi.yaml').expect(200);
    expect(yaml.headers['content-type']).toBe('application/yaml; charset=utf-8');
    expect(yaml.text).toMatch(/^openapi: 3\.1\.0$/m);
    expect(yaml.text).toContain('/api/orders/{id}/cancel:');
    const head = await app.http.head('/api/openapi.yaml').expect(200);
    expect(head.headers['content-type']).toBe('application/yaml; charset=utf-8');
  });

  it('serves a browsable UI at /api/docs', async () => {
    const page = await app.http.get('/api/docs').redirects(1).expect(200);
    expect(page.text).toContain('swagger-ui');
  });

  it("sends the docs' Content-Security-Policy with the docs page and its files, and with nothing else", async () => {
    const policyOf = async (request: Promise<{ headers: Record<string, string> }>) =>
      (await request).headers['content-security-policy'];
    const docs = [
      app.http.get('/api/docs').redirects(1).expect(200),
      app.http.head('/api/docs').redirects(1).expect(200),
      app.http.get('/api/docs/swagger-ui-init.js').expect(200),
      app.http.get('/api/docs/swagger-ui-bundle.js').expect(200),
    ];
    for (const answer of docs) expect(await policyOf(answer)).toBe(DOCS_CONTENT_POLICY);
    const others = [
      app.http.get('/api/openapi.json').expect(200),
      app.http.get('/health/live').expect(200),
    ];
    for (const answer of others) expect(await policyOf(answer)).toBeUndefined();
  });

  it('documents the Idempotency-Key on every create, required for orders, with its TTL', () => {
    const key = (path: string) =>
      committed.paths[path].post.parameters?.find(
        (parameter) => parameter.name === 'Idempotency-Key',
      );
    expect(key('/api/orders')).toMatchObject({ required: true });
    expect(key('/api/users')).toMatchObject({ required: false });
    expect(key('/api/files')).toMatchObject({ required: false });
    expect(key('/api/order-exports')).toMatchObject({ required: false });
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

  it('describes every tag its operations use, and declares no other', () => {
    const used = new Set(operationsOf(served).flatMap(({ operation }) => operation.tags ?? []));
    expect(served.tags.map((tag) => tag.name).sort()).toEqual([...used].sort());
    expect(served.tags.filter((tag) => !tag.description)).toEqual([]);
  });

  it('lists 503 on every operation: any request may reach an instance as it shuts down', () => {
    const without503 = operationsOf(served)
      .filter(({ operation }) => !operation.responses['503'])
      .map(({ name }) => name);
    expect(without503).toEqual([]);
  });

  it('documents X-Request-Id on every response, and Idempotent-Replayed where a stored answer is replayed', () => {
    expect(without('X-Request-Id', responsesOf(served))).toEqual([]);
    const replayable = ['POST /api/users 201', 'POST /api/users 409']
      .concat(['POST /api/orders 201', 'POST /api/orders 409', 'POST /api/files 201'])
      .concat(['POST /api/order-exports 202'])
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
    // Or with a `link` and no token:
    for (const path of [
      '/api/files/{id}/content',
      '/api/files/{id}/thumbnail',
      '/api/events/stream',
    ])
      expect(served.paths[path].get.security).toContainEqual({});
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
    expect(notModified).toHaveLength(8); // every read of one resource, and the event feed's pages
    expect(documented('POST /api/order-exports', 202)).toEqual(
      expect.arrayContaining(['Location', 'ETag', 'Retry-After']),
    );
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

describe('the conformance check (test/support/conformance) catches disagreements', () => {
  const exchange = (overrides: Partial<Exchange>): Exchange => ({
    method: 'GET',
    url: new URL('http://127.0.0.1/api/orders/0190a5c4-7c1e-7d3a-9f2b-3c4d5e6f7a8b'),
    requestHeaders: {},
    requestBody: { kind: 'none' },
    status: 404,
    responseHeaders: { 'x-request-id': 'r', 'content-type': 'application/problem+json' },
    responseJson: { type: 't', title: 't', status: 404, detail: 'd', code: 'not_found' },
    responseHasBody: true,
    ...overrides,
  });

  it('agrees with a documented answer, and names what differs in the others', () => {
    expect(mismatchesOf(exchange({}))).toEqual([]);
    expect(mismatchesOf(exchange({ status: 418 }))).toEqual([
      'GET /api/orders/{id} → 418: status not documented',
    ]);
    expect(mismatchesOf(exchange({ responseHeaders: {} }))?.join()).toContain(
      'required header X-Request-Id missing',
    );
    expect(mismatchesOf(exchange({ responseJson: { code: 'x' } }))?.join()).toContain(
      "must have required property 'status'",
    );
    expect(mismatchesOf(exchange({ url: new URL('http://127.0.0.1/metrics') }))).toBeNull();
  });

  it('fails a request the service accepted but the document refuses, and a 400 it does not state', () => {
    const post = {
      method: 'POST',
      url: new URL('http://127.0.0.1/api/orders'),
      requestHeaders: { 'idempotency-key': 'k' },
      requestBody: { kind: 'json', value: { currency: 'EUR', items: [], extra: 1 } } as const,
      responseHeaders: {},
      responseHasBody: false,
    };
    expect(mismatchesOf(exchange({ ...post, status: 201 }))?.join()).toContain(
      'accepted a request the document refuses: body (root) must NOT have additional properties',
    );
    const valid = { currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 1 }] };
    const refused = exchange({
      ...post,
      requestBody: { kind: 'json', value: valid },
      status: 400,
      responseHeaders: { 'x-request-id': 'r', 'content-type': 'application/problem+json' },
      responseHasBody: true,
      responseJson: { type: 't', title: 't', status: 400, detail: 'd', code: 'validation_failed' },
    });
    expect(mismatchesOf(refused)?.join()).toContain(
      'refused with 400 a request the document accepts',
    );
  });
});
