import { randomUUID } from 'node:crypto';
import { validOrder } from './support/orders';
import { startTestApp, TestApp } from './support/test-app';
import { forgeJwt } from './support/jwt';
import { TEST_JWT_SECRET } from './support/service-process';
import { expectProblem, signUpAndIn, SignedUpUser } from './support/users';

const SECRET = TEST_JWT_SECRET;

describe('POST /api/auth/token and Bearer tokens', () => {
  let app: TestApp;
  let user: SignedUpUser;
  beforeAll(async () => {
    app = await startTestApp({ JWT_SECRET: SECRET });
    user = await signUpAndIn(app);
  });
  afterAll(() => app.close());

  it('issues a Bearer token for the right password, whatever the email case', async () => {
    const response = await app.http
      .post('/api/auth/token')
      .send({ email: user.email.toUpperCase(), password: user.password })
      .expect(200);
    expect(response.body).toEqual({
      accessToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      tokenType: 'Bearer',
      expiresIn: 3600,
    });
    expect(response.headers['cache-control']).toBe('no-store');
    await app.http
      .get(`/api/users/${user.id}`)
      .set('Authorization', `Bearer ${response.body.accessToken}`)
      .expect(200);
  });

  it('gives the same 401 invalid_credentials for a wrong password and an unknown email', async () => {
    const wrongPassword = await app.http
      .post('/api/auth/token')
      .send({ email: user.email, password: 'wrong password' });
    const unknownEmail = await app.http
      .post('/api/auth/token')
      .send({ email: `nobody-${user.email}`, password: user.password });
    expectProblem(wrongPassword, 401, 'invalid_credentials');
    expect(unknownEmail.status).toBe(401);
    expect(unknownEmail.body).toEqual(wrongPassword.body);
    // No challenge, as the document says of this route (Basic would prompt a browser's dialog).
    expect(wrongPassword.headers['www-authenticate']).toBeUndefined();
  });

  it('answers 400 validation_failed for a sign-in body of the wrong shape', async () => {
    expectProblem(
      await app.http.post('/api/auth/token').send({ email: user.email }),
      400,
      'validation_failed',
    );
  });

  const now = () => Math.floor(Date.now() / 1000);
  it.each([
    ['expired', () => forgeJwt({ sub: user.id, iat: now() - 7200, exp: now() - 3600 }, SECRET)],
    ['without an expiry', () => forgeJwt({ sub: user.id, iat: now() }, SECRET)],
    [
      'signed with another secret',
      () =>
        forgeJwt(
          { sub: user.id, iat: now(), exp: now() + 3600 },
          'another-secret-another-secret-another',
        ),
    ],
    [
      'unsigned (alg none)',
      () =>
        forgeJwt({ sub: user.id, iat: now(), exp: now() + 3600 }, null, {
          alg: 'none',
          typ: 'JWT',
        }),
    ],
    [
      'tampered',
      () =>
        user.token.replace(/\.([\w-]+)\./, (_m, payload: string) => `.${payload.slice(0, -2)}AA.`),
    ],
    [
      'for a subject that is not a user id',
      () => forgeJwt({ sub: 'admin', iat: now(), exp: now() + 3600 }, SECRET),
    ],
    [
      'older than ACCESS_TOKEN_TTL (1 h), though its exp is later',
      () => forgeJwt({ sub: user.id, iat: now() - 3700, exp: now() + 3600 }, SECRET),
    ],
    ['without iat', () => forgeJwt({ sub: user.id, exp: now() + 3600 }, SECRET)],
  ])('rejects a token that is %s with 401', async (_case, token) => {
    const response = await app.http
      .get(`/api/users/${user.id}`)
      .set('Authorization', `Bearer ${token()}`);
    expectProblem(response, 401, 'unauthorized');
    expect(response.headers['www-authenticate']).toBe('Bearer');
  });

  it.each([
    ['no scheme', () => user.token],
    ['Basic scheme', () => `Basic ${user.token}`],
    ['empty bearer', () => 'Bearer '],
  ])('rejects an Authorization header with %s', async (_case, header) => {
    expectProblem(
      await app.http.get(`/api/users/${user.id}`).set('Authorization', header()),
      401,
      'unauthorized',
    );
  });

  it('rejects two Authorization fields, whichever comes first: Node would keep the first alone', async () => {
    const good = `Bearer ${user.token}`;
    for (const fields of [
      [good, 'Bearer junk'],
      ['Bearer junk', good],
      [good, good],
    ]) {
      // superagent sends an array as repeated fields; its types allow that for Cookie only.
      const repeated = fields as unknown as string;
      const response = await app.http.get(`/api/users/${user.id}`).set('Authorization', repeated);
      expectProblem(response, 401, 'unauthorized');
      expect(response.body.detail).toBe('Send one Authorization header.');
    }
  });

  it('signs in whatever token is sent with it: an expired one cannot lock a client out', async () => {
    const expired = forgeJwt({ sub: user.id, iat: now() - 7200, exp: now() - 3600 }, SECRET);
    for (const authorization of [`Bearer ${expired}`, 'Bearer garbage', 'Basic abc'])
      await app.http
        .post('/api/auth/token')
        .set('Authorization', authorization)
        .send({ email: user.email, password: user.password })
        .expect(200);
  });

  it('takes a token it cannot verify as none on public operations, which need none', async () => {
    const expired = forgeJwt({ sub: user.id, iat: now() - 7200, exp: now() - 3600 }, SECRET);
    for (const authorization of [`Bearer ${expired}`, 'Bearer garbage', 'Basic abc']) {
      await app.http.get('/health/ready').set('Authorization', authorization).expect(200);
      await app.http.get('/metrics').set('Authorization', authorization).expect(200);
      expectProblem(
        await app.http.get(`/api/users/${user.id}`).set('Authorization', authorization),
        401,
        'unauthorized',
      );
    }
  });

  it.each([
    ['malformed JSON', '/api/orders', 'application/json', '{"currency":', 400],
    ['of a media type it does not take', '/api/orders', 'text/plain', 'EUR', 415],
    ['over the limit', '/api/orders', 'application/json', `{"note":"${'x'.repeat(300_000)}"}`, 413],
    [
      'sent to an action that takes none',
      `/api/orders/${randomUUID()}/cancel`,
      'text/plain',
      'x',
      415,
    ],
  ])(
    'answers 401 to a body %s sent without a valid token, before reading it',
    async (_case, path, contentType, body, statusWithToken) => {
      const post = (authorization?: string) => {
        const request = app.http
          .post(path)
          .set('Content-Type', contentType)
          .set('Idempotency-Key', randomUUID());
        return (authorization ? request.set('Authorization', authorization) : request).send(body);
      };
      for (const authorization of [undefined, 'Bearer garbage', `Bearer ${user.token}x`])
        expectProblem(await post(authorization), 401, 'unauthorized');
      expect((await post(`Bearer ${user.token}`)).status).toBe(statusWithToken);
    },
  );

  it("answers 401, not the stored answer, to an exact retry of a create without its caller's token", async () => {
    const key = randomUUID();
    const order = validOrder();
    const create = (authorization?: string) => {
      const request = app.http.post('/api/orders').set('Idempotency-Key', key);
      return (authorization ? request.set('Authorization', authorization) : request).send(order);
    };
    const created = await create(`Bearer ${user.token}`).expect(201);
    for (const authorization of [undefined, 'Bearer garbage'])
      expectProblem(await create(authorization), 401, 'unauthorized');
    const replayed = await create(`Bearer ${user.token}`).expect(201);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect(replayed.text).toBe(created.text);
  });

  it('takes the Bearer scheme in any case (RFC 9110 §11.1)', async () => {
    await app.http
      .get(`/api/users/${user.id}`)
      .set('Authorization', `bearer ${user.token}`)
      .expect(200);
  });

  it('accepts a token it forged with the right secret, proving the forged-token cases test the right thing', async () => {
    const token = forgeJwt({ sub: user.id, iat: now(), exp: now() + 60 }, SECRET);
    await app.http.get(`/api/users/${user.id}`).set('Authorization', `Bearer ${token}`).expect(200);
  });
});
