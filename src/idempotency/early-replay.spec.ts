import multipart from '@fastify/multipart';
import Fastify, { FastifyInstance } from 'fastify';
import type { Caller } from '../auth/caller';
import type { Executed, IdempotentRequest } from './idempotency.service';
import { answerRetriesEarly, EarlyAnswers } from './retry-fast-path';
import { RetryShare } from './retry-share';

const KEY = '5f0c6c1e-2b1a-4f7e-9d43-0a4b8f6f2c11';
const ALICE: Caller = { userId: '01a20107-2a26-7789-8895-112b1f3fe80b' };
const STORED: Executed = {
  outcome: {
    status: 201,
    headers: {
      Location: 'http://x/api/orders/1',
      ETag: '"abc"',
      'Content-Type': 'application/json',
    },
    body: '{"id":"1"}',
  },
  replayed: true,
};

/** A Fastify app with the hook in front of one create route that answers 201 "from the handler". */
async function appWith(
  answers: EarlyAnswers,
  caller: Caller | null = ALICE,
  retries = new RetryShare(),
) {
  const app: FastifyInstance = Fastify();
  await app.register(multipart);
  answerRetriesEarly(
    app,
    answers,
    () => Promise.resolve(caller),
    new Set(['/api/orders']),
    retries,
  );
  app.post('/api/users', () => ({ from: 'handler' }));
  // A full-path answer; `x-replayed` stands for a replay the full path found in the database.
  app.post('/api/orders', (request, reply) =>
    request.headers['x-replayed']
      ? reply.header('Idempotent-Replayed', 'true').send({ from: 'handler' })
      : { from: 'handler' },
  );
  app.get('/api/orders', () => ({ from: 'handler' }));
  await app.ready();
  return app;
}

const post = (app: FastifyInstance, headers: Record<string, string>, body: unknown = { a: 1 }) =>
  app.inject({ method: 'POST', url: '/api/orders?x=1', headers, payload: body as object });

const asked: IdempotentRequest[] = [];
const storeAsked: IdempotentRequest[] = [];
const noStore = () => Promise.reject(new Error('the store is not asked here'));
const remembering: EarlyAnswers = {
  replayRemembered: (idempotent) => (asked.push(idempotent), STORED),
  replayStored: noStore,
};
const forgetting: EarlyAnswers = { replayRemembered: () => null, replayStored: noStore };
const storing: EarlyAnswers = {
  replayRemembered: () => null,
  replayStored: (idempotent) => (storeAsked.push(idempotent), Promise.resolve(STORED)),
};
const auth = { authorization: 'Bearer t', 'idempotency-key': KEY };

beforeEach(() => {
  asked.length = 0;
  storeAsked.length = 0;
});

describe('answerRetriesEarly', () => {
  it('sends the remembered answer, marked as replayed, without reaching the handler', async () => {
    const response = await post(await appWith(remembering), auth);
    expect(response.statusCode).toBe(201);
    expect(response.body).toBe('{"id":"1"}');
    expect(response.headers).toMatchObject({
      location: 'http://x/api/orders/1',
      etag: '"abc"',
      'idempotent-replayed': 'true',
      'cache-control': 'no-store',
    });
  });

  it('asks for the scope the full path uses: the caller, the route template, the key and the body', async () => {
    await post(await appWith(remembering), auth, { b: [2] });
    expect(asked).toHaveLength(1);
    expect(asked[0].scope).toEqual({
      caller: ALICE.userId,
      method: 'POST',
      route: '/api/orders',
      key: KEY,
    });
    expect(asked[0].request).toEqual({ method: 'POST', path: '/api/orders', body: { b: [2] } });
  });

  it('leaves the request to the handler when nothing is remembered', async () => {
    const response = await post(await appWith(forgetting), auth);
    expect(response.json()).toEqual({ from: 'handler' });
  });

  it.each([
    ['no Idempotency-Key', { authorization: 'Bearer t' }],
    ['no Authorization', { 'idempotency-key': KEY }],
    ['a malformed key', { authorization: 'Bearer t', 'idempotency-key': 'x'.repeat(300) }],
  ])('leaves a request with %s to the handler', async (_case, headers) => {
    const response = await post(await appWith(remembering), headers);
    expect(response.json()).toEqual({ from: 'handler' });
    expect(asked).toHaveLength(0);
  });

  it('leaves a request whose token does not hold to the handler (which answers 401)', async () => {
    const response = await post(await appWith(remembering, null), auth);
    expect(response.json()).toEqual({ from: 'handler' });
    expect(asked).toHaveLength(0);
  });

  it('leaves creates on other routes to the handler (sign-up keeps its rate limit)', async () => {
    const app = await appWith(remembering);
    const response = await app.inject({
      method: 'POST',
      url: '/api/users',
      headers: auth,
      payload: {},
    });
    expect(response.json()).toEqual({ from: 'handler' });
    expect(asked).toHaveLength(0);
  });

  it('leaves GETs and multipart uploads to the handler', async () => {
    const app = await appWith(remembering);
    const get = await app.inject({ method: 'GET', url: '/api/orders', headers: auth });
    expect(get.json()).toEqual({ from: 'handler' });
    const upload = await app.inject({
      method: 'POST',
      url: '/api/orders',
      headers: { ...auth, 'content-type': 'multipart/form-data; boundary=b' },
      payload: '--b\r\nContent-Disposition: form-data; name="f"\r\n\r\nx\r\n--b--\r\n',
    });
    expect(upload.json()).toEqual({ from: 'handler' });
    expect(asked).toHaveLength(0);
  });

  describe('from the store, while retries are common at this process', () => {
    const commonRetries = () => {
      const retries = new RetryShare();
      for (let i = 0; i < 100; i++) retries.record(true);
      return retries;
    };

    it('answers a retry this process does not remember with one read of the store', async () => {
      const response = await post(await appWith(storing, ALICE, commonRetries()), auth);
      expect(response.statusCode).toBe(201);
      expect(response.headers['idempotent-replayed']).toBe('true');
      expect(storeAsked).toHaveLength(1);
    });

    it('does not read the store while retries are rare: creates go straight to the full path', async () => {
      const response = await post(await appWith(storing), auth);
      expect(response.json()).toEqual({ from: 'handler' });
      expect(storeAsked).toHaveLength(0);
    });

    it('leaves the request to the full path when the store fails', async () => {
      const failing: EarlyAnswers = {
        replayRemembered: () => null,
        replayStored: (idempotent) => (storeAsked.push(idempotent), noStore()),
      };
      const response = await post(await appWith(failing, ALICE, commonRetries()), auth);
      expect(storeAsked).toHaveLength(1);
      expect(response.json()).toEqual({ from: 'handler' });
    });

    it('counts replays the process did not remember, wherever answered, and new creates', async () => {
      const retries = new RetryShare();
      const app = await appWith(forgetting, ALICE, retries);
      for (let i = 0; i < 50; i++) await post(app, { ...auth, 'x-replayed': '1' });
      expect(retries.retriesAreCommon).toBe(true);
      for (let i = 0; i < 100; i++) await post(app, auth);
      expect(retries.retriesAreCommon).toBe(false);
    });

    it('does not count retries answered from memory: they need no read', async () => {
      const retries = new RetryShare();
      const app = await appWith(remembering, ALICE, retries);
      for (let i = 0; i < 50; i++) await post(app, auth);
      expect(retries.retriesAreCommon).toBe(false);
    });
  });
});
