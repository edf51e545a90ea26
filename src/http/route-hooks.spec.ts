import Fastify, {
  type FastifyContextConfig,
  type FastifyInstance,
  type RouteOptions,
} from 'fastify';
import { addRouteHook } from './route-hooks';

/** A route's config with a key of this test's own, left out of the service's config type. */
const TAGGED = { tagged: true } as FastifyContextConfig;

/** Routes, one tagged, with a preHandler added to the tagged ones and one more of the route's own. */
async function appWithHooks(calls: string[]): Promise<FastifyInstance> {
  const app = Fastify();
  const tagged = (route: RouteOptions) =>
    (route.config as { tagged?: boolean } | undefined)?.tagged === true;
  addRouteHook(app, 'preHandler', tagged, (request, _reply, done) => {
    calls.push(`added ${request.method} ${request.url}`);
    done();
  });
  const own = (_request: unknown, _reply: unknown, done: () => void) => {
    calls.push('own');
    done();
  };
  app.get('/tagged', { config: TAGGED, preHandler: own }, () => 'ok');
  app.get('/plain', () => 'ok');
  await app.ready();
  return app;
}

describe('addRouteHook', () => {
  let app: FastifyInstance;
  const calls: string[] = [];

  beforeAll(async () => (app = await appWithHooks(calls)));
  afterAll(() => app.close());
  beforeEach(() => calls.splice(0));

  it('runs the hook on the routes it picks, after their own, once per request', async () => {
    expect((await app.inject({ url: '/tagged' })).statusCode).toBe(200);
    expect(calls).toEqual(['own', 'added GET /tagged']);
  });

  it("reaches a GET's HEAD route once too", async () => {
    expect((await app.inject({ method: 'HEAD', url: '/tagged' })).statusCode).toBe(200);
    expect(calls).toEqual(['own', 'added HEAD /tagged']);
  });

  it('leaves the other routes without it', async () => {
    expect((await app.inject({ url: '/plain' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/missing' })).statusCode).toBe(404);
    expect(calls).toEqual([]);
  });
});
