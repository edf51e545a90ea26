import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { uniqueEmail } from '../../support/users';

export interface Answer {
  status: number; // 0: no HTTP answer (refused, reset, timed out)
  /** When the answer (or the failure) arrived. */
  at: number;
  code?: string;
  retryAfter: string | null;
  replayed: boolean;
  body: string;
}

export const orderBody = () => ({
  currency: 'EUR',
  items: [{ sku: 'FAULT-1', quantity: 1, unitPrice: 100 }],
});

export async function signUp(baseUrl: string): Promise<{ id: string; token: string }> {
  const credentials = { email: uniqueEmail('faults'), password: 'long enough' };
  const post = (path: string, body: object) =>
    fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  const created = (await (await post('/api/users', { ...credentials, name: 'Faults' })).json()) as {
    id: string;
  };
  const { accessToken } = (await (await post('/api/auth/token', credentials)).json()) as {
    accessToken: string;
  };
  return { id: created.id, token: accessToken };
}

/** One create; never throws: a network failure is status 0, as a client would see it. */
/** `referenced`: the key is also the order's clientReference, so an audit can find its orders. */
export async function createOrder(
  baseUrl: string,
  token: string,
  key: string,
  timeoutMs = 15_000,
  referenced = false,
): Promise<Answer> {
  try {
    const response = await fetch(`${baseUrl}/api/orders`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Authorization: `Bearer ${token}`,
        'Idempotency-Key': key,
      },
      body: JSON.stringify(referenced ? { ...orderBody(), clientReference: key } : orderBody()),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await response.text();
    const code = response.headers.get('content-type')?.startsWith('application/problem+json')
      ? (JSON.parse(body) as { code: string }).code
      : undefined;
    return {
      status: response.status,
      at: Date.now(),
      code,
      retryAfter: response.headers.get('retry-after'),
      replayed: response.headers.get('idempotent-replayed') === 'true',
      body,
    };
  } catch {
    return { status: 0, at: Date.now(), retryAfter: null, replayed: false, body: '' };
  }
}

/**
 * What a careful client does: the same key on every retry, after network failures, 503 and 409
 * idempotency_key_in_use, until a 201 or the deadline. Every answer is kept for the checks.
 */
export async function createWithRetries(
  target: () => string,
  token: string,
  deadline: number,
  answers: Answer[],
  referenced = false,
): Promise<{ key: string; order: string | null }> {
  const key = randomUUID();
  while (Date.now() < deadline) {
    const answer = await createOrder(target(), token, key, 15_000, referenced);
    answers.push(answer);
    if (answer.status === 201)
      return { key, order: (JSON.parse(answer.body) as { id: string }).id };
    await sleep(answer.retryAfter ? 100 : 50);
  }
  return { key, order: null };
}

/** Orders and completed keys of a user, compared: duplicates (orders without their key) and lost writes. */
export async function audit(databaseUrl: string, userId: string, confirmed: Map<string, string>) {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const orders = (
      await db.query<{ id: string }>('SELECT id FROM orders WHERE user_id = $1', [userId])
    ).rows.map((row) => row.id);
    const keys = (
      await db.query<{ key: string; id: string }>(
        `SELECT key, response_body::json->>'id' AS id FROM idempotency_keys
          WHERE caller = $1 AND route = '/api/orders' AND response_status = 201`,
        [userId],
      )
    ).rows;
    const keyed = new Set(keys.map((row) => row.id));
    const byKey = new Map(keys.map((row) => [row.key, row.id]));
    const duplicates = orders.filter((id) => !keyed.has(id)).length; // an order no key answers for
    const lost = [...confirmed].filter(
      ([key, id]) => byKey.get(key) !== id || !orders.includes(id),
    ).length;
    return { orders: orders.length, keys: keys.length, duplicates, lost };
  } finally {
    await db.end();
  }
}

/** 5xx other than 503 (which is the documented, retryable answer while the database is down). */
export const unexpected5xx = (answers: Answer[]) =>
  answers.filter((answer) => answer.status >= 500 && answer.status !== 503);

/** "status code" counts, for failure messages and notes. */
export function tally(answers: Answer[]): string {
  const counts = new Map<string, number>();
  for (const answer of answers) {
    const label = `${answer.status}${answer.code ? ` ${answer.code}` : ''}`;
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return [...counts].map(([label, count]) => `${count} x ${label}`).join(', ');
}

/** Retrying clients creating orders until `stop`: what a steady create load looks like. */
export function createLoad(target: () => string, token: string, clients = 3) {
  const answers: Answer[] = [];
  const confirmed = new Map<string, string>();
  let running = true;
  const client = async () => {
    while (running) {
      const { key, order } = await createWithRetries(target, token, Date.now() + 60_000, answers);
      if (order) confirmed.set(key, order);
    }
  };
  const done = Promise.all(Array.from({ length: clients }, client));
  return {
    answers,
    confirmed,
    async stop() {
      running = false;
      await done;
    },
  };
}
