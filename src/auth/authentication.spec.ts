import Fastify, { FastifyInstance, FastifyRequest } from 'fastify';
import { UnauthorizedError } from '../http/problem';
import { authenticateOnArrival } from './authentication';
import type { Caller } from './caller';

const ALICE: Caller = { userId: '01a20107-2a26-7789-8895-112b1f3fe80b' };

interface Harness {
  app: FastifyInstance;
  /** The caller each request reached its handler with. */
  handled: (Caller | null)[];
  /** How often the token was asked for, and how often a JSON body was parsed. */
  counts: { callerOf: number; parsed: number };
}

const apps: FastifyInstance[] = [];
afterEach(() => Promise.all(apps.splice(0).map((app) => app.close())));

/**
 * The hook in front of a route that needs a token, a public one and one that ignores tokens, with
 * a JSON parser that counts what it parses; `callerOf` answers what the case says.
 */
async function appWith(callerOf: () => Promise<Caller | null>): Promise<Harness> {
  const app = Fastify();
  const harness: Harness = { app, handled: [], counts: { callerOf: 0, parsed: 0 } };
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    harness.counts.parsed++;
    void parse(request, body as string, done);
  });
  authenticateOnArrival(app, { callerOf: () => (harness.counts.callerOf++, callerOf()) });
  const handler = (request: FastifyRequest) => {
    harness.handled.push(request.caller);
    return { ok: true };
  };
  app.post('/private', handler);
  app.get('/private', handler);
  app.post('/public', { config: { access: 'public' } }, handler);
  app.post('/ignored', { config: { access: 'public, token ignored' } }, handler);
  await app.ready();
  apps.push(app);
  return harness;
}

const TOKEN = { authorization: 'Bearer t' };

const post = (app: FastifyInstance, url: string, payload = '{"a":1}', headers = {}) =>
  app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', ...headers },
    payload,
  });

const refused = () =>
  Promise.reject(new UnauthorizedError('The access token is invalid or expired.'));

describe('authenticateOnArrival', () => {
  it('hands a verified caller to the route', async () => {
    const harness = await appWith(() => Promise.resolve(ALICE));
    expect((await post(harness.app, '/private')).statusCode).toBe(200);
    expect(harness.handled).toEqual([ALICE]);
  });

  it.each([
    ['no token', () => Promise.resolve(null), 'A valid Bearer access token is required.'],
    ['a refused token', refused, 'The access token is invalid or expired.'],
  ])(
    'answers 401 to %s on a route that needs one, before the body is read',
    async (_case, callerOf, detail) => {
      const harness = await appWith(callerOf);
      const response = await post(harness.app, '/private', '{not json');
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ status: 401, code: 'unauthorized', detail });
      expect(harness.counts.parsed).toBe(0);
      expect(harness.handled).toEqual([]);
    },
  );

  it('answers 401 to a HEAD of a route that needs a token, as to its GET', async () => {
    const harness = await appWith(() => Promise.resolve(null));
    const response = await harness.app.inject({ method: 'HEAD', url: '/private' });
    expect(response.statusCode).toBe(401);
    expect(harness.handled).toEqual([]);
  });

  it('names the caller of a valid token on a public route, and takes a refused one as none', async () => {
    const valid = await appWith(() => Promise.resolve(ALICE));
    expect((await post(valid.app, '/public', '{}', TOKEN)).statusCode).toBe(200);
    expect(valid.handled).toEqual([ALICE]);
    const refusedOne = await appWith(refused);
    expect((await post(refusedOne.app, '/public', '{}', TOKEN)).statusCode).toBe(200);
    expect(refusedOne.handled).toEqual([null]);
  });

  it('does not ask for a token a public route was called without', async () => {
    const harness = await appWith(() => Promise.resolve(ALICE));
    expect((await post(harness.app, '/public')).statusCode).toBe(200);
    expect(harness.handled).toEqual([null]);
    expect(harness.counts.callerOf).toBe(0);
  });

  it('answers 500, not 401, when the token cannot be checked for another reason', async () => {
    const harness = await appWith(() => Promise.reject(new Error('key store down')));
    expect((await post(harness.app, '/public', '{}', TOKEN)).statusCode).toBe(500);
    expect((await post(harness.app, '/private', '{}', TOKEN)).statusCode).toBe(500);
    expect(harness.handled).toEqual([]);
  });

  it('never asks for the token on a route that ignores it', async () => {
    const harness = await appWith(() => Promise.resolve(ALICE));
    expect((await post(harness.app, '/ignored', '{}', TOKEN)).statusCode).toBe(200);
    expect(harness.handled).toEqual([null]);
    expect(harness.counts.callerOf).toBe(0);
  });

  it('leaves a request no route serves to its 404, without asking for the token', async () => {
    const harness = await appWith(() => Promise.resolve(null));
    expect((await post(harness.app, '/nowhere')).statusCode).toBe(404);
    expect(harness.counts.callerOf).toBe(0);
  });
});
