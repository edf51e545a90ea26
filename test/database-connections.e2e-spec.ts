import { randomUUID } from 'node:crypto';
import { poolOf } from '../src/database/data-source';
import { startTestApp, TestApp } from './support/test-app';
import { expectProblem, signUpAndIn, SignedUpUser } from './support/users';

describe('database connections under business rejections', () => {
  let app: TestApp;
  let ann: SignedUpUser;
  beforeAll(async () => {
    app = await startTestApp();
    ann = await signUpAndIn(app, 'Ann');
  });
  afterAll(() => app.close());

  it('keeps the connection a 409 ran on: the statement failed, the connection did not', async () => {
    const pool = poolOf(app.dataSource)!;
    const order = {
      currency: 'EUR',
      items: [{ sku: 'SKU-1', quantity: 1, unitPrice: 100 }],
      clientReference: `ref-${randomUUID()}`,
    };
    const sendOrder = () =>
      app.http.post('/api/orders').set(ann.auth).set('Idempotency-Key', randomUUID()).send(order);
    await sendOrder().expect(201);
    const releasedAsBroken: Error[] = [];
    const countBroken = (error?: Error) => error && releasedAsBroken.push(error);
    pool.on('release', countBroken);
    try {
      for (let i = 0; i < 3; i++) {
        expectProblem(await sendOrder(), 409, 'order_reference_taken');
        const signUp = { email: ann.email, password: 'long enough', name: 'Again' };
        expectProblem(await app.http.post('/api/users').send(signUp), 409, 'email_taken');
      }
    } finally {
      pool.off('release', countBroken);
    }
    expect(releasedAsBroken).toEqual([]);
  });
});
