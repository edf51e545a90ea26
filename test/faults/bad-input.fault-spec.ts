import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { startTestApp, TestApp } from '../support/test-app';
import { createDatabaseOn, TestDatabase } from '../support/test-database';
import { PNG } from '../support/files';
import { image, manyFrameGif, pngBomb } from '../support/images';
import { signUpAndIn, SignedUpUser } from '../support/users';
import { waitFor } from '../support/wait';
import { mismatchesOf } from '../support/conformance/recorder';
import { rawExchange, rawRequest, RawResponse } from './support/raw-http';
import { report } from './support/report';

const RUNS = 1200;
const TABLES = [
  'users',
  'orders',
  'order_items',
  'files',
  'file_blobs',
  'idempotency_keys',
  'order_exports',
  'events_pending',
  'events',
];

/** Every route, with the id and query placeholders the generators fill. */
const ROUTES = [
  'POST /api/users',
  'PUT /api/users/{id}',
  'GET /api/users/{id}',
  'POST /api/auth/token',
  'POST /api/orders',
  'GET /api/orders{query}',
  'GET /api/orders/{id}',
  'POST /api/orders/{id}/cancel',
  'POST /api/files',
  'GET /api/files/{id}',
  'GET /api/files/{id}/content',
  'DELETE /api/files/{id}',
  'GET /api/files/{id}/thumbnail',
  'POST /api/order-exports',
  'GET /api/order-exports/{id}',
];

const text = (value: string) => Buffer.from(value);
const deep = (depth: number) => text(`${'['.repeat(depth)}${']'.repeat(depth)}`);

/** Bodies that are never a valid create: broken, hostile, huge or of the wrong shape. */
const badBody = fc.oneof(
  fc
    .tuple(
      fc.constantFrom(
        '{"email":"a@b.co","name":"x","password":"long enough"}',
        '{"currency":"EUR","items":[{"sku":"A","quantity":1,"unitPrice":1}]}',
      ),
      fc.nat(),
    )
    .map(([json, cut]) => text(json.slice(0, cut % json.length))),
  fc.jsonValue({ maxDepth: 4 }).map((value) => text(JSON.stringify(value) ?? 'null')),
  fc
    .record({
      email: fc.anything(),
      name: fc.anything(),
      currency: fc.anything(),
      items: fc.anything(),
    })
    .map((value) => text(JSON.stringify(value) ?? '{}')),
  fc.constantFrom(
    text('{"__proto__":{"isAdmin":true},"email":"a@b.co"}'),
    text('{"constructor":{"prototype":{"polluted":1}}}'),
    text('{"name":"a\\u0000b","email":"x@y.co","password":"long enough"}'),
    Buffer.concat([
      text('{"name":"'),
      Buffer.from([0xff, 0xfe, 0xc3]),
      text('","email":"x@y.co"}'),
    ]),
    text(`{"name":"${'x'.repeat(100_000)}"}`),
    text(`{"items":[${'1,'.repeat(60_000)}1]}`),
    text('{"currency":"EUR","items":[{"sku":"A","quantity":1e400,"unitPrice":9007199254740993}]}'),
    text('{"currency":"EUR","items":[{"sku":"A","quantity":-0,"unitPrice":-1}]}'),
    deep(5_000),
    deep(100_000),
    Buffer.alloc(300 * 1024, 'a'),
    Buffer.alloc(0),
  ),
);

const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=zz',
  'application/xml',
  null,
);
const idOrGarbage = fc.oneof(
  fc.uuid(),
  fc.string({ maxLength: 40 }),
  fc.constantFrom('..%2f..%2fetc%2fpasswd', '%00', '0'.repeat(2_000), "1' OR '1'='1"),
);
const query = fc.oneof(
  fc.constant(''),
  fc
    .tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 200 }))
    .map(
      ([limit, cursor]) =>
        `?limit=${encodeURIComponent(limit)}&cursor=${encodeURIComponent(cursor)}`,
    ),
  fc.constantFrom('?limit=0', '?limit=1e9', '?cursor=W10', '?page=2', '?limit=5&limit=6'),
);

describe('bad input over every endpoint (property-based)', () => {
  let database: TestDatabase;
  let app: TestApp;
  let user: SignedUpUser;
  let port: number;
  beforeAll(async () => {
    database = await createDatabaseOn(process.env.E2E_DATABASE_URL!);
    app = await startTestApp({ AUTH_RATE_LIMIT: '0' }, database.url);
    user = await signUpAndIn(app);
    port = Number(new URL(app.baseUrl).port);
  });
  afterAll(async () => {
    await app.close();
    await database.stop();
  });

  const rowCounts = async () =>
    Object.fromEntries(
      await Promise.all(
        TABLES.map(async (table) => [
          table,
          Number((await app.dataSource.query(`SELECT count(*) AS n FROM ${table}`))[0].n),
        ]),
      ),
    );

  it(`answers ${RUNS} generated hostile requests with 4xx problem+json (never 5xx) and writes nothing`, async () => {
    const authorization = fc.constantFrom(
      `Bearer ${user.token}`,
      `Bearer ${user.token}`,
      'Bearer garbage',
      'Bearer ',
      `Bearer ${user.token}x`,
      'Basic dXNlcjpwYXNz',
      null,
      'DUPLICATE',
      `Bearer ${'a'.repeat(20_000)}`,
    );
    const idempotencyKey = fc.oneof(
      fc.constant(null),
      fc.string({ maxLength: 300 }),
      fc.constantFrom('DUPLICATE', 'k'.repeat(300), '"unterminated', 'clé'),
    );
    const before = await rowCounts();
    const seen = new Map<number, number>();
    const disagreements: string[] = [];
    let requests = 0;

    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        idOrGarbage,
        query,
        badBody,
        contentType,
        authorization,
        idempotencyKey,
        fc.option(fc.string({ maxLength: 80 })),
        async (route, id, search, body, type, auth, key, ifMatch) => {
          const [method, template] = route.split(' ');
          const path = template.replace('{id}', encodeURIComponent(id)).replace('{query}', search);
          const headers = [
            `Host: 127.0.0.1:${port}`,
            'Connection: close',
            `Content-Length: ${method === 'GET' || method === 'DELETE' ? 0 : body.length}`,
          ];
          if (type) headers.push(`Content-Type: ${type}`);
          if (auth === 'DUPLICATE')
            headers.push(
              `Authorization: Bearer ${user.token}`,
              `Authorization: Bearer ${user.token}`,
            );
          else if (auth) headers.push(`Authorization: ${auth}`);
          if (key === 'DUPLICATE')
            headers.push(`Idempotency-Key: ${randomUUID()}`, `Idempotency-Key: ${randomUUID()}`);
          else if (key !== null) headers.push(`Idempotency-Key: ${key.replace(/[\r\n]/g, '')}`);
          if (ifMatch !== null) headers.push(`If-Match: ${ifMatch.replace(/[\r\n]/g, '')}`);
          const head = Buffer.from(
            `${method} ${path} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`,
            'utf8',
          );
          const sent = method === 'GET' || method === 'DELETE' ? head : Buffer.concat([head, body]);
          const response: RawResponse = await rawRequest(port, sent);
          // Judged against openapi.json too: what it refuses must be refused, with a status it lists.
          disagreements.push(...(mismatchesOf(rawExchange(sent, response)) ?? []));
          requests++;
          seen.set(response.status, (seen.get(response.status) ?? 0) + 1);
          expect(response.status).toBeLessThan(500);
          if (response.status >= 400) {
            expect(response.headers['content-type']).toBe(
              'application/problem+json; charset=utf-8',
            );
            const problem = JSON.parse(response.body) as { status: number; code: string };
            expect([problem.status, typeof problem.code]).toEqual([response.status, 'string']);
            expect(response.body).not.toMatch(/node_modules|\/src\/|at \w+ \(|SELECT |INSERT /);
          }
        },
      ),
      { numRuns: RUNS, seed: Number(process.env.FAST_CHECK_SEED ?? Date.now() % 2 ** 31) },
    );

    expect(await rowCounts()).toEqual(before);
    expect(disagreements).toEqual([]);
    const fiveHundreds = [...seen]
      .filter(([status]) => status >= 500)
      .reduce((sum, [, count]) => sum + count, 0);
    report({
      scenario: 'hostile input, property-based (fast-check)',
      requests,
      duplicates: '-',
      lost: '-',
      fiveHundreds,
      note: [...seen]
        .sort(([a], [b]) => a - b)
        .map(([status, count]) => `${count} x ${status}`)
        .join(', '),
    });
  });
  it('answers bad images with 4xx or ends them "failed", never 5xx, and goes on serving', async () => {
    const truncated = await image('png', 64, 64);
    const uploads: [string, Buffer, string][] = [
      [
        'corrupt',
        Buffer.concat([PNG.subarray(0, 20), Buffer.alloc(40, 0xff), PNG.subarray(-12)]),
        'corrupt.png',
      ],
      ['truncated', truncated.subarray(0, truncated.length - 30), 'truncated.png'],
      ['pixel bomb', pngBomb(), 'bomb.png'],
      ['0-byte', Buffer.alloc(0), 'empty.png'],
      ['10,000 frames', manyFrameGif(10_000), 'frames.gif'],
    ];
    const outcomes: string[] = [];
    for (const [what, bytes, filename] of uploads) {
      const sent = await app.http
        .post('/api/files')
        .set(user.auth)
        .attach('file', bytes, { filename });
      expect([what, sent.status < 500]).toEqual([what, true]);
      if (sent.status !== 201) {
        outcomes.push(`${what}: ${sent.status} ${sent.body.code}`);
        continue;
      }
      const done = await waitFor(`${what} processed`, async () => {
        const file = await app.http.get(`/api/files/${sent.body.id}`).set(user.auth).expect(200);
        return file.body.status !== 'processing' && file.body;
      });
      outcomes.push(`${what}: ${done.status}${done.error ? ` ${done.error.code}` : ''}`);
    }
    expect(outcomes).toEqual([
      'corrupt: failed image_undecodable',
      'truncated: 415 unsupported_file_type',
      'pixel bomb: failed image_too_large',
      '0-byte: 400 validation_failed',
      '10,000 frames: ready',
    ]);
    await app.http.get('/health/ready').expect(200);
    report({
      scenario: 'bad images (corrupt, truncated, bomb, empty, 10,000 frames)',
      requests: uploads.length,
      duplicates: '-',
      lost: '-',
      fiveHundreds: 0,
      note: outcomes.join('; '),
    });
  });
});
