import {
  createHash,
  createHmac,
  createSecretKey,
  KeyObject,
  randomUUID,
  timingSafeEqual,
} from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Pool } from 'pg';

/**
 * raw-lean: the create done the simplest correct way, on tables of its own with only the indexes
 * the features need (the key unique per caller, orders by user and time for lists, items by
 * order): the key, the order, its items and the stored answer in one statement, the caller taken
 * from a verified HS256 token, a retry answered from the stored row (422 for another payload).
 * It has no expiry, client references or events: what it leaves out is what the service adds.
 */
export const LEAN_TABLES = `
  CREATE TABLE IF NOT EXISTS lean_idempotency_keys (
    user_id uuid NOT NULL, key text NOT NULL, fingerprint bytea NOT NULL, order_id uuid NOT NULL,
    response text NOT NULL, created_at timestamptz NOT NULL, PRIMARY KEY (user_id, key));
  CREATE TABLE IF NOT EXISTS lean_orders (
    id uuid PRIMARY KEY, user_id uuid NOT NULL, status text NOT NULL, currency text NOT NULL,
    total bigint NOT NULL, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
  CREATE INDEX IF NOT EXISTS lean_orders_user_created ON lean_orders (user_id, created_at, id);
  CREATE TABLE IF NOT EXISTS lean_order_items (
    order_id uuid NOT NULL REFERENCES lean_orders (id), position integer NOT NULL,
    sku text NOT NULL, quantity integer NOT NULL, unit_price bigint NOT NULL,
    line_total bigint NOT NULL, PRIMARY KEY (order_id, position));`;

const CREATE = `
WITH claim AS (
    INSERT INTO lean_idempotency_keys (user_id, key, fingerprint, order_id, response, created_at)
    VALUES ($1, $2, $3, $4, $5, now())
    ON CONFLICT (user_id, key) DO NOTHING
    RETURNING order_id),
  created AS (
    INSERT INTO lean_orders (id, user_id, status, currency, total, created_at, updated_at)
    SELECT order_id, $1, 'pending', $6, $7, $8, $8 FROM claim
    RETURNING id),
  items AS (
    INSERT INTO lean_order_items (order_id, position, sku, quantity, unit_price, line_total)
    SELECT created.id, i.position, i.sku, i.quantity, i.unit_price, i.line_total
      FROM created, unnest($9::text[], $10::integer[], $11::bigint[], $12::bigint[])
        WITH ORDINALITY AS i(sku, quantity, unit_price, line_total, position))
SELECT c.claimed, k.fingerprint, k.order_id, k.response
  FROM (SELECT count(*)::int AS claimed FROM claim) c
  LEFT JOIN lean_idempotency_keys k ON c.claimed = 0 AND k.user_id = $1 AND k.key = $2`;

/** A retry whose first request committed after this statement's snapshot was taken. */
const STORED = `SELECT fingerprint, order_id, response FROM lean_idempotency_keys WHERE user_id = $1 AND key = $2`;

const GET = `
SELECT o.id, o.user_id, o.status, o.currency, o.total, o.created_at, o.updated_at,
       (SELECT json_agg(json_build_object('sku', i.sku, 'quantity', i.quantity,
                 'unitPrice', i.unit_price, 'lineTotal', i.line_total) ORDER BY i.position)
          FROM lean_order_items i WHERE i.order_id = o.id) AS items
  FROM lean_orders o WHERE o.id = $1 AND o.user_id = $2`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SKU = /^[\x21-\x7e]{1,64}$/;

export interface Answer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}
const problem = (status: number, code: string): Answer => ({
  status,
  body: JSON.stringify({ status, code }),
});

/** The `sub` of a valid, unexpired HS256 token in `Bearer <token>`; null for anything else. */
export function tokenVerifier(secret: string) {
  const key: KeyObject = createSecretKey(Buffer.from(secret));
  const json = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString());
  return (authorization: string | undefined): string | null => {
    if (!authorization?.startsWith('Bearer ')) return null;
    const [header, payload, signature = ''] = authorization.slice(7).split('.');
    const expected = createHmac('sha256', key).update(`${header}.${payload}`).digest();
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    try {
      const claims = json(payload) as { sub?: unknown; exp?: unknown };
      if ((json(header) as { alg?: unknown }).alg !== 'HS256') return null;
      if (typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now()) return null;
      return typeof claims.sub === 'string' && UUID.test(claims.sub) ? claims.sub : null;
    } catch {
      return null;
    }
  };
}

interface Item {
  sku: string;
  quantity: number;
  unitPrice: number;
}
const int = (value: unknown, min: number, max: number) =>
  Number.isInteger(value) && (value as number) >= min && (value as number) <= max;
const validItem = (item: Item) =>
  typeof item?.sku === 'string' &&
  SKU.test(item.sku) &&
  int(item.quantity, 1, 10_000) &&
  int(item.unitPrice, 0, 1_000_000_000);

/** The service's rules for a create, written out by hand. */
function parseOrder(text: string): { currency: string; items: Item[] } | null {
  try {
    const order = JSON.parse(text) as { currency?: unknown; items?: unknown };
    const { currency, items } = order;
    if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) return null;
    if (!Array.isArray(items) || items.length < 1 || items.length > 100) return null;
    return items.every(validItem) ? { currency, items: items as Item[] } : null;
  } catch {
    return null;
  }
}

const replayed = (orderId: string, response: string): Answer => ({
  status: 201,
  body: response,
  headers: { Location: `/api/orders/${orderId}`, 'Idempotent-Replayed': 'true' },
});

/** The new order's 201 answer, as the service writes it. */
function newOrder(userId: string, order: { currency: string; items: Item[] }) {
  const items = order.items.map((i) => ({ ...i, lineTotal: i.quantity * i.unitPrice }));
  const now = new Date().toISOString();
  const id = randomUUID();
  const total = items.reduce((sum, line) => sum + line.lineTotal, 0);
  const body = JSON.stringify({
    id,
    userId,
    status: 'pending',
    currency: order.currency,
    items,
    total,
    clientReference: null,
    note: null,
    createdAt: now,
    updatedAt: now,
  });
  const columns = [
    items.map((l) => l.sku),
    items.map((l) => l.quantity),
    items.map((l) => l.unitPrice),
    items.map((l) => l.lineTotal),
  ];
  return { id, body, values: [id, body, order.currency, total, now, ...columns] };
}

/** POST /raw-lean: one statement creates, or answers a retry from the stored row. */
export async function leanCreate(
  pool: Pool,
  userId: string,
  key: string,
  text: string,
): Promise<Answer> {
  const order = parseOrder(text);
  if (!order) return problem(400, 'validation_failed');
  if (!key || key.length > 255) return problem(400, 'idempotency_key_invalid');
  const fingerprint = createHash('sha256').update(text).digest();
  const created = newOrder(userId, order);
  const { rows } = await pool.query({
    name: 'lean-create',
    text: CREATE,
    values: [userId, key, fingerprint, ...created.values],
  });
  if (rows[0].claimed === 1)
    return { status: 201, body: created.body, headers: { Location: `/api/orders/${created.id}` } };
  const stored = rows[0].response
    ? rows[0]
    : (await pool.query({ name: 'lean-stored', text: STORED, values: [userId, key] })).rows[0];
  if (!(stored.fingerprint as Buffer).equals(fingerprint))
    return problem(422, 'idempotency_key_reused');
  return replayed(stored.order_id, stored.response);
}

/** GET /raw-lean-get/:id: the caller's order, in the service's representation. */
export async function leanGet(pool: Pool, userId: string, id: string): Promise<Answer> {
  if (!UUID.test(id)) return problem(404, 'not_found');
  const { rows } = await pool.query({ name: 'lean-get', text: GET, values: [id, userId] });
  if (!rows.length) return problem(404, 'not_found');
  const o = rows[0];
  const body = JSON.stringify({
    id: o.id,
    userId: o.user_id,
    status: o.status,
    currency: o.currency,
    items: o.items,
    total: Number(o.total),
    clientReference: null,
    note: null,
    createdAt: (o.created_at as Date).toISOString(),
    updatedAt: (o.updated_at as Date).toISOString(),
  });
  return { status: 200, body };
}

const readText = async (request: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
};

/** The lean routes, `/raw-lean` and `/raw-lean-get/:id`; false for any other URL. */
export function leanRoutes(pool: Pool, secret: string) {
  const verify = tokenVerifier(secret);
  return async (url: string, request: IncomingMessage, response: ServerResponse) => {
    if (url !== '/raw-lean' && !url.startsWith('/raw-lean-get/')) return false;
    const userId = verify(request.headers.authorization);
    const answer = !userId
      ? problem(401, 'unauthorized')
      : url === '/raw-lean'
        ? await leanCreate(
            pool,
            userId,
            String(request.headers['idempotency-key'] ?? ''),
            await readText(request),
          )
        : await leanGet(pool, userId, url.slice('/raw-lean-get/'.length));
    response.writeHead(answer.status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(answer.body),
      ...answer.headers,
    });
    response.end(answer.body);
    return true;
  };
}
