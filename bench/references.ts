import { createHash, randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { Pool } from 'pg';
import { LEAN_TABLES, leanRoutes } from './lean';

/**
 * The references the service is measured against, with nothing but node:http and pg, on the
 * service's own tables and the same pool size:
 * - raw-many: the create as one statement per step (BEGIN, claim key, order, items, response, COMMIT);
 * - raw-one: the same create as one SQL statement (one HTTP request, one database round trip);
 * - raw-replay / raw-get / raw-list: one SELECT by key / by id / of the newest 20 orders (the
 *   latter two read the same columns as the service, so both send the same representation);
 * - raw-upload: the request's bytes (1 MiB) hashed and written as one bytea row;
 * - http-only: a fixed 201 JSON answer, no database (the HTTP ceiling);
 * - raw-lean / raw-lean-get: the create and the get done the simplest correct way on tables of
 *   their own, the caller from a verified token (`lean.ts`). The others take the bench user's id
 *   from the command line and verify no token.
 *
 * Run on its own (`ts-node bench/references.ts <databaseUrl> <userId>`, JWT_SECRET set), it
 * prints its URL and serves until killed: the harness starts it as a process of its own, as the service is.
 */
/** The columns of the order's representation, so both answers carry the same one. */
const ORDER_COLUMNS = `o.id, o.user_id, o.status, o.currency, o.total, o.client_reference, o.note, o.created_at, o.updated_at,
  (SELECT json_agg(json_build_object('sku', i.sku, 'quantity', i.quantity, 'unitPrice', i.unit_price, 'lineTotal', i.line_total)
          ORDER BY i.position)
     FROM order_items i WHERE i.order_id = o.id) AS items`;

export async function startReferences(
  databaseUrl: string,
  userId: string,
  jwtSecret: string,
  poolSize = 10,
): Promise<{ url: string; close(): Promise<void> }> {
  const pool = new Pool({ connectionString: databaseUrl, max: poolSize });
  pool.on('error', () => undefined);
  await pool.query(LEAN_TABLES);
  const lean = leanRoutes(pool, jwtSecret);
  const server = createServer((request, response) => {
    const url = request.url ?? '';
    lean(url, request, response)
      .then((done) => (done ? undefined : route(pool, userId, request, response)))
      .catch((error: Error) => send(response, 500, { error: error.message }));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({ url: `http://127.0.0.1:${port}`, close: () => closeAll(server, pool) });
    }),
  );
}

async function closeAll(server: Server, pool: Pool) {
  await new Promise((resolve) => server.close(resolve));
  await pool.end();
}

function send(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

function readBody(
  request: IncomingMessage,
): Promise<{ currency: string; items: { sku: string; quantity: number; unitPrice: number }[] }> {
  return new Promise((resolve, reject) => {
    let text = '';
    request
      .on('data', (chunk: Buffer) => (text += chunk.toString()))
      .on('end', () => resolve(JSON.parse(text || '{}')))
      .on('error', reject);
  });
}

async function route(
  pool: Pool,
  userId: string,
  request: IncomingMessage,
  response: ServerResponse,
) {
  const url = request.url ?? '';
  if (url === '/http-only')
    return send(response, 201, { id: randomUUID(), status: 'pending' }, { Location: '/x' });
  if (url.startsWith('/raw-get/')) {
    const { rows } = await pool.query(
      `SELECT ${ORDER_COLUMNS} FROM orders o WHERE o.id = $1 AND o.user_id = $2`,
      [url.slice(9), userId],
    );
    return rows.length ? send(response, 200, rows[0]) : send(response, 404, {});
  }
  if (url === '/raw-list') {
    const { rows } = await pool.query(
      `SELECT ${ORDER_COLUMNS} FROM orders o WHERE o.user_id = $1
        ORDER BY o.created_at DESC, o.id DESC LIMIT 21`,
      [userId],
    );
    return send(response, 200, { data: rows.slice(0, 20) });
  }
  if (url === '/raw-upload') return upload(pool, request, response);
  if (url === '/raw-replay') {
    const key = String(request.headers['idempotency-key']);
    const { rows } = await pool.query(
      `SELECT response_status, response_body FROM idempotency_keys WHERE caller = $1 AND method = 'POST' AND route = '/api/orders' AND key = $2`,
      [userId, key],
    );
    return rows.length
      ? send(response, rows[0].response_status, JSON.parse(rows[0].response_body))
      : send(response, 404, {});
  }
  const order = await readBody(request);
  const key = String(request.headers['idempotency-key']);
  const created = newOrder(userId, order);
  if (url === '/raw-many') await createMany(pool, userId, key, created);
  else if (url === '/raw-one') await createOne(pool, userId, key, created);
  else return send(response, 404, {});
  send(response, 201, created, { Location: `/api/orders/${created.id}` });
}

async function upload(pool: Pool, request: IncomingMessage, response: ServerResponse) {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const id = randomUUID();
  await pool.query(
    `WITH blob AS (INSERT INTO file_blobs (id, created_at) VALUES ($1, now()) RETURNING id)
     INSERT INTO file_blob_chunks (blob_id, seq, data) SELECT id, 0, $2 FROM blob`,
    [id, bytes],
  );
  send(response, 201, { id, size: bytes.length, sha256 }, { Location: `/x/${id}` });
}

function newOrder(userId: string, order: Awaited<ReturnType<typeof readBody>>) {
  const items = order.items.map((item) => ({ ...item, lineTotal: item.quantity * item.unitPrice }));
  const now = new Date().toISOString();
  return {
    id: randomUUID(),
    userId,
    status: 'pending',
    currency: order.currency,
    items,
    total: items.reduce((sum, item) => sum + item.lineTotal, 0),
    createdAt: now,
    updatedAt: now,
  };
}

type NewOrder = ReturnType<typeof newOrder>;

async function createMany(pool: Pool, userId: string, key: string, order: NewOrder) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO idempotency_keys (caller, method, route, key, fingerprint, response_status, response_headers, response_body, created_at, expires_at)
       VALUES ($1, 'POST', '/api/orders', $2, '\\x00', 0, '{}', '', now(), now() + interval '24 hours')`,
      [userId, key],
    );
    await client.query(
      `INSERT INTO orders (id, user_id, status, currency, total, created_at, updated_at) VALUES ($1, $2, 'pending', $3, $4, $5, $5)`,
      [order.id, userId, order.currency, order.total, order.createdAt],
    );
    await client.query(
      `INSERT INTO order_items (order_id, position, sku, quantity, unit_price, line_total)
       SELECT $1, item.position, item.sku, item.quantity, item.unit_price, item.line_total
         FROM unnest($2::text[], $3::integer[], $4::bigint[], $5::bigint[]) WITH ORDINALITY AS item(sku, quantity, unit_price, line_total, position)`,
      [order.id, ...itemColumns(order)],
    );
    await client.query(
      `UPDATE idempotency_keys SET response_status = 201, response_body = $3 WHERE caller = $1 AND method = 'POST' AND route = '/api/orders' AND key = $2`,
      [userId, key, JSON.stringify(order)],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

async function createOne(pool: Pool, userId: string, key: string, order: NewOrder) {
  await pool.query(
    `WITH claim AS (
       INSERT INTO idempotency_keys (caller, method, route, key, fingerprint, response_status, response_headers, response_body, created_at, expires_at)
       VALUES ($1, 'POST', '/api/orders', $2, '\\x00', 201, '{}', $9, now(), now() + interval '24 hours')
       RETURNING 1),
     created AS (
       INSERT INTO orders (id, user_id, status, currency, total, created_at, updated_at)
       SELECT $3, $12::uuid, 'pending', $4, $5, $10, $10 FROM claim
       RETURNING id)
     INSERT INTO order_items (order_id, position, sku, quantity, unit_price, line_total)
     SELECT created.id, item.position, item.sku, item.quantity, item.unit_price, item.line_total
       FROM created, unnest($6::text[], $7::integer[], $8::bigint[], $11::bigint[]) WITH ORDINALITY AS item(sku, quantity, unit_price, line_total, position)`,
    [
      userId,
      key,
      order.id,
      order.currency,
      order.total,
      ...itemColumns(order).slice(0, 3),
      JSON.stringify(order),
      order.createdAt,
      itemColumns(order)[3],
      userId,
    ],
  );
}

function itemColumns(order: NewOrder) {
  return [
    order.items.map((i) => i.sku),
    order.items.map((i) => i.quantity),
    order.items.map((i) => i.unitPrice),
    order.items.map((i) => i.lineTotal),
  ];
}

if (require.main === module) {
  const [databaseUrl, userId] = process.argv.slice(2);
  void startReferences(databaseUrl, userId, process.env.JWT_SECRET!).then(({ url }) =>
    console.log(url),
  );
}
