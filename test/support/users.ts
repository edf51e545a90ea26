import { randomUUID } from 'node:crypto';
import { TestApp } from './test-app';

export interface SignedUpUser {
  id: string;
  email: string;
  password: string;
  token: string;
  auth: { Authorization: string };
}

export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}-${randomUUID()}@example.com`;
}

/** Signs a new user up and in over HTTP, asserting both steps succeed. */
export async function signUpAndIn(app: TestApp, name = 'Test User'): Promise<SignedUpUser> {
  const email = uniqueEmail();
  const password = 'correct horse battery';
  const created = await app.http.post('/api/users').send({ email, name, password }).expect(201);
  const signedIn = await app.http.post('/api/auth/token').send({ email, password }).expect(200);
  const token = signedIn.body.accessToken as string;
  return {
    id: created.body.id,
    email,
    password,
    token,
    auth: { Authorization: `Bearer ${token}` },
  };
}

/**
 * The app `starting` resolves to, with Ann and Bob signed up and in on it: the two users the tests
 * of a file share. The app is closed again if a sign-up fails.
 */
export async function withAnnAndBob<T extends TestApp>(
  starting: Promise<T>,
): Promise<[T, SignedUpUser, SignedUpUser]> {
  const app = await starting;
  try {
    const [ann, bob] = await Promise.all([signUpAndIn(app, 'Ann'), signUpAndIn(app, 'Bob')]);
    return [app, ann, bob];
  } catch (error) {
    await app.close();
    throw error;
  }
}

export function expectProblem(
  response: { status: number; headers: Record<string, string>; body: Record<string, unknown> },
  status: number,
  code: string,
) {
  expect({ status: response.status, code: response.body.code }).toEqual({ status, code });
  expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
  expect(response.body).toMatchObject({
    type: `urn:order-service:problem:${code}`,
    status,
    title: expect.any(String),
    detail: expect.any(String),
  });
}
