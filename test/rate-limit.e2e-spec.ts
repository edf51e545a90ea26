import { startTestApp, startTestAppOnOwnDatabase, TestApp } from './support/test-app';
import { expectProblem, signUpAndIn, uniqueEmail } from './support/users';

const signIn = (app: TestApp) =>
  app.http
    .post('/api/auth/token')
    .send({ email: uniqueEmail('nobody'), password: 'wrong password' });

/**
 * An app limited to 3 a minute, on a database of its own: the counters live in PostgreSQL, shared
 * by every app on one database, and every test's client is 127.0.0.1.
 */
const startLimitedApp = (env: Record<string, string> = {}) =>
  startTestAppOnOwnDatabase({ AUTH_RATE_LIMIT: '3', ...env });

describe('AUTH_RATE_LIMIT on sign-up and sign-in', () => {
  let limited: TestApp;
  let unlimited: TestApp;
  beforeAll(async () => {
    [limited, unlimited] = await Promise.all([
      startLimitedApp(),
      startTestApp({ AUTH_RATE_LIMIT: '0' }),
    ]);
  });
  afterAll(() => Promise.all([limited.close(), unlimited.close()]));

  it('answers 429 rate_limited with Retry-After past the limit per client IP, for sign-in and sign-up alike', async () => {
    for (let i = 0; i < 3; i++) {
      const allowed = await signIn(limited);
      expect(allowed.status).toBe(401);
      // No X-RateLimit-*: the library's Reset named the window's end, not when a retry is let in.
      expect(Object.keys(allowed.headers).filter((name) => name.startsWith('x-ratelimit'))).toEqual(
        [],
      );
    }
    const refused = await signIn(limited);
    expectProblem(refused, 429, 'rate_limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1); // seconds
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60); // the block: a minute
    expect(Object.keys(refused.headers).filter((name) => name.startsWith('x-ratelimit'))).toEqual(
      [],
    );
    expect(refused.body.detail).toBe(
      'Too many sign-up or sign-in requests from this address; retry after Retry-After seconds.',
    );
    const signUp = await limited.http
      .post('/api/users')
      .send({ email: uniqueEmail(), name: 'Late', password: 'long enough' });
    expectProblem(signUp, 429, 'rate_limited');
    await limited.http.get('/health/ready').expect(200); // other routes are not limited
  });

  it('is one budget for every replica on the database, and a block at one is a block at all', async () => {
    const first = await startLimitedApp();
    const second = await startTestApp({ AUTH_RATE_LIMIT: '3' }, first.databaseUrl);
    try {
      expect((await signIn(first)).status).toBe(401);
      expect((await signIn(second)).status).toBe(401);
      expect((await signIn(first)).status).toBe(401);
      const refused = await signIn(second);
      expectProblem(refused, 429, 'rate_limited');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(59); // a fresh block
      expectProblem(await signIn(first), 429, 'rate_limited');
    } finally {
      await second.close();
      await first.close();
    }
  });

  it('is off with AUTH_RATE_LIMIT=0', async () => {
    for (let i = 0; i < 5; i++) expect((await signIn(unlimited)).status).toBe(401);
  });

  it('answers 429 at once to sign-ins past those waiting for a password check, rather than queue them all', async () => {
    // A flood far larger than the checks that may wait (a few seconds' worth), all at once.
    const answers = await Promise.all(Array.from({ length: 80 }, () => signIn(unlimited)));
    const refused = answers.filter((answer) => answer.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    expect(answers.every((answer) => [401, 429].includes(answer.status))).toBe(true);
    expectProblem(refused[0], 429, 'rate_limited');
    expect(refused[0].headers['retry-after']).toBe('1');
    expect((await signIn(unlimited)).status).toBe(401); // checked again once the flood has passed
  });

  it('counts exact retries of a sign-up sent with a token too (they are not answered before the limit)', async () => {
    const { auth } = await signUpAndIn(unlimited);
    const retrying = await startLimitedApp();
    try {
      const body = { email: uniqueEmail(), name: 'Retry', password: 'long enough' };
      const send = () =>
        retrying.http.post('/api/users').set(auth).set('Idempotency-Key', 'one-sign-up').send(body);
      expect((await send()).status).toBe(201);
      for (let i = 0; i < 2; i++) await send().expect(201).expect('Idempotent-Replayed', 'true');
      expectProblem(await send(), 429, 'rate_limited');
    } finally {
      await retrying.close();
    }
  });

  it.each([
    ['a trusted proxy (TRUST_PROXY=127.0.0.1)', '127.0.0.1', 401],
    ['outside TRUST_PROXY (10.0.0.0/8)', '10.0.0.0/8', 429],
  ])(
    'takes the client IP from X-Forwarded-For only from a peer that is %s',
    async (_peer, trustProxy, fourthClientStatus) => {
      const proxied = await startLimitedApp({ TRUST_PROXY: trustProxy });
      try {
        const from = (client: string) => signIn(proxied).set('X-Forwarded-For', client);
        for (let i = 0; i < 3; i++) expect((await from('203.0.113.1')).status).toBe(401);
        expectProblem(await from('203.0.113.1'), 429, 'rate_limited');
        expect((await from('203.0.113.2')).status).toBe(fourthClientStatus);
      } finally {
        await proxied.close();
      }
    },
  );

  it('counts an IPv6 client by its /64, so addresses rotated within one prefix share its budget', async () => {
    const proxied = await startLimitedApp({ TRUST_PROXY: '127.0.0.1' });
    try {
      const from = (client: string) => signIn(proxied).set('X-Forwarded-For', client);
      for (let i = 1; i <= 3; i++) expect((await from(`2001:db8:1:2::${i}`)).status).toBe(401);
      expectProblem(await from('2001:db8:1:2:ffff:ffff:ffff:ffff'), 429, 'rate_limited');
      expect((await from('2001:db8:1:3::1')).status).toBe(401);
    } finally {
      await proxied.close();
    }
  });
});
