import { randomBytes, randomUUID } from 'node:crypto';
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

/** Retries every key of `f`'s replay pool once at `service`; each must be a replay. */
export async function retryAll(service: Process, f: Fixture): Promise<void> {
  await inBatches(f.replayKeys, async (key) => {
    const response = await fetch(`${service.baseUrl}/api/orders`, {
      method: 'POST',
      headers: { ...f.auth, 'Idempotency-Key': key },
      body: ORDER,
    });
    await response.arrayBuffer();
    if (response.headers.get('idempotent-replayed') !== 'true')
      throw new Error(`a retry answered ${response.status}, not a replay`);
  });
}

/** raw-lean's own replay pool: the fixture's replay keys, created once there; an order's id. */
export async function leanFixture(refs: Process, f: Fixture): Promise<string> {
  const ids = await inBatches(f.replayKeys, async (key) => {
    const response = await fetch(`${refs.baseUrl}/raw-lean`, {
      method: 'POST',
      headers: { ...f.auth, 'Idempotency-Key': key },
      body: ORDER,
    });
    if (response.status !== 201) throw new Error(`raw-lean answered ${response.status}`);
    return (JSON.parse(await response.text()) as { id: string }).id;
  });
  return ids[ids.length - 1];
}

/** `send` for every key, 20 at a time; the results in the keys' order. */
async function inBatches<T>(keys: string[], send: (key: string) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let at = 0; at < keys.length; at += 20)
    results.push(...(await Promise.all(keys.slice(at, at + 20).map(send))));
  return results;
}

/** `bytes` as the one part `file` of a multipart body, the way a browser form sends a file. */
export function multipart(
  bytes: Buffer,
  filename: string,
  type: string,
): { body: Buffer; contentType: string } {
  const boundary = `bench${randomBytes(8).toString('hex')}`;
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`;
  const body = Buffer.concat([Buffer.from(head), bytes, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}
