import { randomUUID } from 'node:crypto';
import { Process } from './processes';

export const ORDER = JSON.stringify({
  currency: 'EUR',
  items: [
    { sku: 'BENCH-1', quantity: 2, unitPrice: 1250 },
    { sku: 'BENCH-2', quantity: 1, unitPrice: 99 },
  ],
});
const REPLAY_POOL = 1_000;

export interface Fixture {
  userId: string;
  auth: Record<string, string>;
  replayKeys: string[];
  orderId: string;
  orderBody: string;
}

/** A user with a token, and REPLAY_POOL orders created with known keys (the replay pool). */
export async function fixture(service: Process): Promise<Fixture> {
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${service.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body,
    });
  const credentials = { email: `bench-${randomUUID()}@example.com`, password: 'bench password' };
  const user = (await (
    await post('/api/users', JSON.stringify({ ...credentials, name: 'Bench' }))
  ).json()) as { id: string };
  const { accessToken } = (await (
    await post('/api/auth/token', JSON.stringify(credentials))
  ).json()) as { accessToken: string };
  const auth = { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'application/json' };
  const replayKeys = Array.from({ length: REPLAY_POOL }, () => randomUUID());
  let orderBody = '';
  for (const key of replayKeys)
    orderBody = await (
      await post('/api/orders', ORDER, { ...auth, 'Idempotency-Key': key })
    ).text();
  const orderId = (JSON.parse(orderBody) as { id: string }).id;
  return { userId: user.id, auth, replayKeys, orderId, orderBody };
}
