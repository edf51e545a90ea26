import { randomUUID } from 'node:crypto';
import { headerOf, rawExchange } from './support/raw-http';
import { startTestApp, TestApp } from './support/test-app';
import { signUpAndIn } from './support/users';

const ORIGIN = 'https://shop.example.com';

describe('CORS for frontend apps', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ CORS_ORIGINS: ORIGIN });
  });
  afterAll(() => app.close());

  it("lets an allowed origin's preflight through with the methods and headers the SPEC lists", async () => {
    const preflight = await app.http
      .options('/api/orders')
      .set('Origin', ORIGIN)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization,content-type,idempotency-key')
      .expect(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(preflight.headers['access-control-allow-methods']).toBe('GET, POST, PUT, DELETE');
    for (const header of ['Content-Type', 'Authorization', 'Idempotency-Key', 'If-Match'])
      expect(preflight.headers['access-control-allow-headers']).toContain(header);
    expectEveryAnswersHeaders(preflight.headers);
  });

  it('lets browser code resume a download and read its filename and range', async () => {
    const preflight = await app.http
      .options(`/api/files/${randomUUID()}/content`)
      .set('Origin', ORIGIN)
      .set('Access-Control-Request-Method', 'GET')
      .set('Access-Control-Request-Headers', 'authorization,range,if-range')
      .expect(204);
    for (const header of ['Range', 'If-Range'])
      expect(preflight.headers['access-control-allow-headers']).toContain(header);
    const answer = await app.http.get('/api/orders').set('Origin', ORIGIN).expect(401);
    expect(answer.headers['access-control-expose-headers'].split(/, ?/)).toEqual(
      expect.arrayContaining(['Location', 'ETag', 'Content-Disposition', 'Content-Range']),
    );
  });

  it.each([
    ['a malformed URL (400)', '/api/orders/%zz', 400],
    ['a path parameter over 100 characters (414)', `/api/orders/${'a'.repeat(101)}`, 414],
  ])(
    'lets browser code read the problem of %s, refused before any hook runs',
    async (_c, path, status) => {
      const allowed = await app.http.get(path).set('Origin', ORIGIN).expect(status);
      expect(allowed.headers['access-control-allow-origin']).toBe(ORIGIN);
      expect(allowed.headers['access-control-expose-headers']).toContain('X-Request-Id');
      expect(allowed.headers.vary).toBe('Origin');
      const other = await app.http.get(path).set('Origin', 'https://evil.example').expect(status);
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    },
  );

  it.each([
    [
      'headers too large (431)',
      `GET /api/orders HTTP/1.1\r\nHost: x\r\nOrigin: ${ORIGIN}\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`,
      431,
    ],
    [
      'bytes that are not HTTP (400)',
      `GET /api/orders HTTP/1.1\r\nHost: x\r\nOrigin: ${ORIGIN}\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n`,
      400,
    ],
  ])(
    'lets browser code read the problem of %s, whose Origin Node never parsed',
    async (_c, request, status) => {
      const answer = await rawExchange(app, request);
      expect(answer).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
      // Any origin: the answer is the same for everyone and holds nothing of any user's.
      expect(headerOf(answer, 'Access-Control-Allow-Origin')).toBe('*');
      expect(headerOf(answer, 'Access-Control-Expose-Headers')).toContain('X-Request-Id');
    },
  );

  it('keeps Vary: Origin beside the headers the event stream varies by', async () => {
    const ann = await signUpAndIn(app, 'Ann');
    const head = await app.http
      .head('/api/events/stream')
      .set(ann.auth)
      .set('Origin', ORIGIN)
      .timeout(5_000)
      .expect(200);
    expect(head.headers.vary).toBe('Origin, Accept, Last-Event-ID');
  });

  it('answers an OPTIONS that is no preflight (no Origin, or no method asked) 204, not a text/plain 400', async () => {
    for (const origin of [undefined, ORIGIN]) {
      const asked = app.http.options('/api/orders');
      const response = await (origin ? asked.set('Origin', origin) : asked).expect(204);
      expect(response.text).toBe('');
      expectEveryAnswersHeaders(response.headers);
    }
  });
});

/** What docs/api.md promises on every answer, a preflight's included. */
function expectEveryAnswersHeaders(headers: Record<string, string>) {
  expect(headers['x-request-id']).toEqual(expect.any(String));
  expect(headers['x-content-type-options']).toBe('nosniff');
}
