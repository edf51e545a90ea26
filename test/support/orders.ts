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

/** The order the events tests create (its SKU marks it as theirs). */
export const EVENTS_ORDER = {
  currency: 'EUR',
  items: [{ sku: 'EV-1', quantity: 2, unitPrice: 150 }],
};

/** One order line. */
export const item = (sku: string, quantity: number, unitPrice: number) => ({
  sku,
  quantity,
  unitPrice,
});

/** A valid order of two lines and a note, priced 2599 in all. */
export const validOrder = () => ({
  currency: 'EUR',
  items: [item('SKU-1', 2, 1250), item('SKU-2', 1, 99)],
  note: 'leave at the door',
});

/**
 * The orders tests' calls: `create` POSTs an order as `user` under `key` (a fresh one by default)
 * and leaves the answer to the test; `ordersOf` counts the user's orders in the database. `app` is
 * read at each call, so a describe block can take these before its beforeAll starts the app.
 */
export function orderCalls(app: () => Pick<TestApp, 'http' | 'dataSource'>) {
  return {
    create: (user: SignedUpUser, payload: object, key: string = randomUUID()) =>
      app().http.post('/api/orders').set(user.auth).set('Idempotency-Key', key).send(payload),
    ordersOf: async (user: SignedUpUser) =>
      Number(
        (
          await app().dataSource.query('SELECT count(*) AS n FROM orders WHERE user_id = $1', [
            user.id,
          ])
        )[0].n,
      ),
  };
}
