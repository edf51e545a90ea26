import { TestApp } from './test-app';

/** The idempotency e2e specs' sign-up: a body for `email`, fresh keys, and the request itself. */
export const body = (email: string, name = 'Idem') => ({ email, name, password: 'long enough' });
export const keyOf = () => `key-${Math.random().toString(36).slice(2)}`;
/** POST /api/users with the Idempotency-Key `key`, or without one when `key` is null. */
export const signUpOn = (app: TestApp, key: string | null, payload: object) => {
  const call = app.http.post('/api/users');
  return key === null ? call.send(payload) : call.set('Idempotency-Key', key).send(payload);
};

const count = async (app: TestApp, sql: string, value: string) =>
  Number((await app.dataSource.query(sql, [value]))[0].n);
/** Users with `email`, whatever its case. */
export const usersWith = (app: TestApp, email: string) =>
  count(app, 'SELECT count(*) AS n FROM users WHERE email_normalized = $1', email.toLowerCase());
/** Idempotency records under `key`, of any caller. */
export const keyRows = (app: TestApp, key: string) =>
  count(app, 'SELECT count(*) AS n FROM idempotency_keys WHERE key = $1', key);
