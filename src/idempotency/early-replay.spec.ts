import multipart from '@fastify/multipart';
import Fastify, { FastifyInstance, FastifyRequest } from 'fastify';
import type { Caller } from '../auth/caller';
import type { CreateExecutor, Executed, TableRead } from './create-executor';
import { answerRetriesEarly } from './early-replay';
import type { IdempotencyOptions, IdempotentRequest } from './idempotent-request';

const KEY = '5f0c6c1e-2b1a-4f7e-9d43-0a4b8f6f2c11';
const ALICE: Caller = { userId: '01a20107-2a26-7789-8895-112b1f3fe80b' };
/** Spaced as no serializer would write it: a replay must send these very bytes. */
const STORED: Executed = {
  outcome: {
    status: 201,
    headers: {
      Location: 'http://x/api/orders/1',
      ETag: '"abc"',
      'Content-Type': 'application/json; charset=utf-8',
    },
    body: '{"id":"1",  "total" : 5}',
  },
  replayed: true,
};
const ORDERS_CREATE: IdempotencyOptions = {
  required: true,
  earlyReplay: 'while-retries-are-common',
};

const apps: FastifyInstance[] = [];
afterEach(() => Promise.all(apps.splice(0).map((app) => app.close())));

type LookUp = () => Promise<Executed | null>;

/** CreateExecutor.lookUp as the hook sees it: asked, it answers what the case says. */
class FakeExecutor implements Pick<CreateExecutor, 'lookUp'> {
  readonly asked: { idempotent: IdempotentRequest; tableRead: TableRead }[] = [];

  constructor(private readonly answer: LookUp) {}

  lookUp(idempotent: IdempotentRequest, tableRead: TableRead) {
    this.asked.push({ idempotent, tableRead });
    return this.answer();
  }
}

interface Harness {
  app: FastifyInstance;
  executor: FakeExecutor;
  /** The caller each request reached the handler with. */
  handled: (Caller | null)[];
  logLines: string[];
}

/**
 * The hook in front of a create route declared `earlyReplay` (as POST /api/orders is), one declared
 * without it, one that takes no key and a GET on the create's URL; every handler answers 200.
 * Every request arrives from `caller`, as authenticateOnArrival names it.
 */
async function appWith(
  answer: LookUp = () => Promise.resolve(STORED),
  caller: Caller | null = ALICE,
): Promise<Harness> {
  const logLines: string[] = [];
  const app = Fastify({ logger: { level: 'warn', stream: { write: (l) => logLines.push(l) } } });
  await app.register(multipart);
  const harness: Harness = {
    app,
    executor: new FakeExecutor(answer),
    handled: [],
    logLines,
  };
  app.addHook('onRequest', (request, _reply, done) => {
    request.caller = caller;
    done();
  });
  answerRetriesEarly(app, harness.executor);
  const handler = (request: FastifyRequest) => {
    harness.handled.push(request.caller ?? null);
    return { from: 'handler' };
  };
  app.post('/api/orders', { config: { idempotency: ORDERS_CREATE } }, handler);
  app.post('/api/users', { config: { idempotency: { required: false } } }, handler);
  app.post('/api/ping', handler);
  app.get('/api/orders', handler);
  await app.ready();
  apps.push(app);
  return harness;
}

const auth = { authorization: 'Bearer t', 'idempotency-key': KEY };

const post = (
  { app }: Harness,
  headers: Record<string, string> = auth,
  body: object = { a: 1 },
  url = '/api/orders?x=1',
) => app.inject({ method: 'POST', url, headers, payload: body });

/** The request went on to the full path: the handler answered and no replay was sent. */
function expectFullPath(response: { json(): unknown; headers: object }, harness: Harness) {
  expect(response.json()).toEqual({ from: 'handler' });
  expect(response.headers).not.toHaveProperty('idempotent-replayed');
  expect(harness.handled).toHaveLength(1);
}

describe('answerRetriesEarly', () => {
  it('sends the stored answer byte for byte, marked as replayed, without reaching the handler', async () => {
    const harness = await appWith();
    const response = await post(harness);
    expect(response.statusCode).toBe(201);
    expect(response.body).toBe('{"id":"1",  "total" : 5}');
    expect(response.headers).toMatchObject({
      location: 'http://x/api/orders/1',
      etag: '"abc"',
      'content-type': 'application/json; charset=utf-8',
      'idempotent-replayed': 'true',
      'cache-control': 'no-store',
    });
    expect(harness.handled).toHaveLength(0);
  });

  it('asks lookUp once, for the scope the full path uses, reading the table only while retries are common', async () => {
    const harness = await appWith();
    await post(harness, auth, { b: [2] });
    expect(harness.executor.asked).toHaveLength(1);
    const [{ idempotent, tableRead }] = harness.executor.asked;
    expect(tableRead).toBe('while-retries-are-common');
    expect(idempotent.scope).toEqual({
      caller: ALICE.userId,
      method: 'POST',
      route: '/api/orders',
      key: KEY,
    });
    expect(idempotent.request).toEqual({ method: 'POST', path: '/api/orders', body: { b: [2] } });
  });

  it('goes on to the handler when lookUp has no answer', async () => {
    const harness = await appWith(() => Promise.resolve(null));
    expectFullPath(await post(harness), harness);
    expect(harness.executor.asked).toHaveLength(1);
  });

  it('logs a failed lookUp and goes on to the handler', async () => {
    const harness = await appWith(() => Promise.reject(new Error('database down')));
    expectFullPath(await post(harness), harness);
    expect(harness.executor.asked).toHaveLength(1);
    const warning = harness.logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(warning).toEqual([
      expect.objectContaining({
        level: 40,
        msg: 'an early replay failed; the full path answers',
        err: expect.objectContaining({ message: 'database down' }),
      }),
    ]);
  });

  it('leaves a request with no Idempotency-Key to the handler', async () => {
    const harness = await appWith();
    expectFullPath(await post(harness, { authorization: 'Bearer t' }), harness);
    expect(harness.executor.asked).toHaveLength(0);
  });

  it('leaves a request from nobody (a public route called without a token) to the handler', async () => {
    const harness = await appWith(undefined, null);
    expectFullPath(await post(harness), harness);
    expect(harness.handled).toEqual([null]);
    expect(harness.executor.asked).toHaveLength(0);
  });

  it('leaves a malformed key to the handler (which answers 400)', async () => {
    const harness = await appWith();
    expectFullPath(await post(harness, { ...auth, 'idempotency-key': 'x'.repeat(300) }), harness);
    expect(harness.executor.asked).toHaveLength(0);
    expect(harness.handled).toEqual([ALICE]);
  });

  it.each([
    ['declared without earlyReplay (sign-up keeps its rate limit)', '/api/users'],
    ['that takes no key', '/api/ping'],
  ])('leaves creates on a route %s to the handler', async (_case, url) => {
    const harness = await appWith();
    expectFullPath(await post(harness, auth, {}, url), harness);
    expect(harness.executor.asked).toHaveLength(0);
  });

  it('leaves a GET of the create route URL to the handler', async () => {
    const harness = await appWith();
    const response = await harness.app.inject({ method: 'GET', url: '/api/orders', headers: auth });
    expectFullPath(response, harness);
    expect(harness.executor.asked).toHaveLength(0);
  });

  it('leaves a multipart body to the handler (an upload is fingerprinted by its bytes)', async () => {
    const harness = await appWith();
    const response = await harness.app.inject({
      method: 'POST',
      url: '/api/orders',
      headers: { ...auth, 'content-type': 'multipart/form-data; boundary=b' },
      payload: '--b\r\nContent-Disposition: form-data; name="f"\r\n\r\nx\r\n--b--\r\n',
    });
    expectFullPath(response, harness);
    expect(harness.executor.asked).toHaveLength(0);
  });
});
