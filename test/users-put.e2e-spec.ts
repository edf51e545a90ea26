import { randomUUID } from 'node:crypto';
import { forgeJwt } from './support/jwt';
import { TEST_JWT_SECRET } from './support/service-process';
import { startTestApp, TestApp } from './support/test-app';
import { expectProblem, signUpAndIn, uniqueEmail } from './support/users';

describe('PUT /api/users/{id} over HTTP', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  it('creates the user at a client-chosen URI with 201, then that user replaces name and email with 200', async () => {
    const id = randomUUID();
    const email = uniqueEmail('put');
    const created = await app.http
      .put(`/api/users/${id}`)
      .send({ email, name: 'Put', password: 'long enough' })
      .expect(201);
    expect(created.body).toMatchObject({ id, email, name: 'Put' });
    expect(created.headers.location).toBe(`/api/users/${id}`);
    expect(created.headers.etag).toBeTruthy();

    const { body: token } = await app.http
      .post('/api/auth/token')
      .send({ email, password: 'long enough' })
      .expect(200);
    const newEmail = uniqueEmail('renamed');
    const replace = () =>
      app.http
        .put(`/api/users/${id}`)
        .set('Authorization', `Bearer ${token.accessToken}`)
        .set('If-Match', created.headers.etag)
        .send({ email: newEmail, name: 'Renamed' })
        .expect(200);
    const replaced = await replace();
    expect(replaced.body).toMatchObject({
      id,
      email: newEmail,
      name: 'Renamed',
      createdAt: created.body.createdAt,
    });
    expect(replaced.headers.etag).not.toBe(created.headers.etag);
    expect(replaced.headers.location).toBeUndefined();

    // The replace sent again (its 200 lost) under the ETag it had: done already, so 200 as it is.
    const again = await replace();
    expect(again.body).toEqual(replaced.body);
    expect(again.headers.etag).toBe(replaced.headers.etag);
  });

  it('answers a create sent again (its 201 lost) 200 with the user as created; any other request without the token 401', async () => {
    const id = randomUUID();
    const body = { email: uniqueEmail('again'), name: 'Again', password: 'long enough' };
    const created = await app.http.put(`/api/users/${id}`).send(body).expect(201);
    const again = await app.http.put(`/api/users/${id}`).send(body).expect(200);
    expect(again.body).toEqual(created.body);
    expect(again.headers.etag).toBe(created.headers.etag);
    for (const other of [
      { ...body, password: 'another password' },
      { ...body, name: 'Someone else' },
    ])
      expectProblem(await app.http.put(`/api/users/${id}`).send(other), 401, 'unauthorized');
    const createOnly = await app.http.put(`/api/users/${id}`).set('If-None-Match', '*').send(body);
    expectProblem(createOnly, 412, 'precondition_failed');
    const current = await app.dataSource.query('SELECT name FROM users WHERE id = $1', [id]);
    expect(current).toEqual([{ name: 'Again' }]);
  });

  it("refuses replacement without the owner's token (401, 404) and with a stale If-Match (412)", async () => {
    const [ann, bob] = await Promise.all([signUpAndIn(app, 'Ann'), signUpAndIn(app, 'Bob')]);
    const change = { email: ann.email, name: 'Hijacked' };
    expectProblem(await app.http.put(`/api/users/${ann.id}`).send(change), 401, 'unauthorized');
    expectProblem(
      await app.http.put(`/api/users/${ann.id}`).set(bob.auth).send(change),
      404,
      'not_found',
    );
    const stale = await app.http
      .put(`/api/users/${ann.id}`)
      .set(ann.auth)
      .set('If-Match', '"stale"')
      .send(change);
    expectProblem(stale, 412, 'precondition_failed');
    const current = await app.http.get(`/api/users/${ann.id}`).set(ann.auth).expect(200);
    expect(current.body.name).toBe('Ann');
  });

  it('creates whatever stale or bad token comes with the create (it counts as none); replacing still needs a valid one', async () => {
    const ann = await signUpAndIn(app, 'Ann');
    const hourAgo = Math.floor(Date.now() / 1000) - 3600;
    const expired = forgeJwt({ sub: ann.id, iat: hourAgo - 3600, exp: hourAgo }, TEST_JWT_SECRET);
    for (const authorization of [`Bearer ${expired}`, 'Bearer garbage', 'Basic abc']) {
      const id = randomUUID();
      const body = { email: uniqueEmail('stale'), name: 'Stale', password: 'long enough' };
      const put = () => app.http.put(`/api/users/${id}`).set('Authorization', authorization);
      expect((await put().send(body).expect(201)).body).toMatchObject({ id, name: 'Stale' });
      await put().send(body).expect(200); // the create sent again
      const change = { email: body.email, name: 'Renamed' };
      expectProblem(await put().send(change), 401, 'unauthorized');
      const renameAnn = { email: ann.email, name: 'Hijacked' };
      expectProblem(
        await app.http
          .put(`/api/users/${ann.id}`)
          .set('Authorization', authorization)
          .send(renameAnn),
        401,
        'unauthorized',
      );
    }
    const current = await app.http.get(`/api/users/${ann.id}`).set(ann.auth).expect(200);
    expect(current.body.name).toBe('Ann');
  });

  it('answers 400 for a password on replace or none on create, 409 for an email another user has', async () => {
    const [ann, bob] = await Promise.all([signUpAndIn(app, 'Ann'), signUpAndIn(app, 'Bob')]);
    const withPassword = await app.http
      .put(`/api/users/${ann.id}`)
      .set(ann.auth)
      .send({ email: ann.email, name: 'A', password: 'new password' });
    expectProblem(withPassword, 400, 'validation_failed');
    expect(withPassword.body.errors).toEqual([{ field: 'password', message: expect.any(String) }]);
    const id = randomUUID();
    expectProblem(
      await app.http.put(`/api/users/${id}`).send({ email: uniqueEmail(), name: 'No password' }),
      400,
      'validation_failed',
    );
    expect((await app.dataSource.query('SELECT 1 FROM users WHERE id = $1', [id])).length).toBe(0);
    const taken = await app.http
      .put(`/api/users/${ann.id}`)
      .set(ann.auth)
      .send({ email: bob.email.toUpperCase(), name: 'Ann' });
    expectProblem(taken, 409, 'email_taken');
  });

  it('honours If-None-Match: * as create-only and If-Match on a missing user as 412', async () => {
    const ann = await signUpAndIn(app, 'Ann');
    const createOnly = await app.http
      .put(`/api/users/${ann.id}`)
      .set(ann.auth)
      .set('If-None-Match', '*')
      .send({ email: ann.email, name: 'Ann' });
    expectProblem(createOnly, 412, 'precondition_failed');
    const missing = await app.http
      .put(`/api/users/${randomUUID()}`)
      .set('If-Match', '*')
      .send({ email: uniqueEmail(), name: 'X', password: 'long enough' });
    expectProblem(missing, 412, 'precondition_failed');
  });
});
