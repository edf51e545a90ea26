import { randomUUID } from 'node:crypto';
import type { TestApp } from './test-app';
import type { SignedUpUser } from './users';

/** An order any test may create when only its being there matters. */
export const SOME_ORDER = {
  currency: 'EUR',
  items: [{ sku: 'SOME-1', quantity: 1, unitPrice: 100 }],
};

/** POST /api/orders as `user` under a fresh Idempotency-Key, asserting its 201. */
export const createOrder = (
  app: Pick<TestApp, 'http'>,
  user: SignedUpUser,
  order: object = SOME_ORDER,
) =>
  app.http
    .post('/api/orders')
    .set(user.auth)
    .set('Idempotency-Key', randomUUID())
    .send(order)
    .expect(201);
