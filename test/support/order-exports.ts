import { randomUUID } from 'node:crypto';
import { TestApp } from './test-app';
import { SignedUpUser } from './users';
import { waitFor } from './wait';

/** An export as the API answers it (the parts the tests read). */
export interface ExportBody {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  rowCount: number | null;
  file: { id: string; url: string; contentType: string; sha256: string; size: number } | null;
  error: { code: string; detail: string } | null;
}

export function postExport(app: TestApp, user: SignedUpUser, body: object, key?: string) {
  const post = app.http.post('/api/order-exports').set(user.auth);
  if (key !== undefined) void post.set('Idempotency-Key', key);
  return post.send(body);
}

/** Polls the status monitor until the export has succeeded or failed; resolves to its body. */
export async function finishedExport(
  app: TestApp,
  user: SignedUpUser,
  id: string,
  ms = 30_000,
): Promise<ExportBody> {
  return waitFor(
    `export ${id} to finish`,
    async () => {
      const { body } = await app.http.get(`/api/order-exports/${id}`).set(user.auth).expect(200);
      const found = body as ExportBody;
      return found.status === 'succeeded' || found.status === 'failed' ? found : null;
    },
    { ms, every: 100 },
  );
}

/** Exports with `filter`, waits until it has succeeded, and downloads its CSV. */
export async function exportedCsv(app: TestApp, user: SignedUpUser, filter: object = {}) {
  const accepted = await postExport(app, user, { format: 'csv', ...filter }).expect(202);
  const done = await finishedExport(app, user, accepted.body.id as string);
  expect(done.status).toBe('succeeded');
  const download = await app.http.get(done.file!.url).set(user.auth).expect(200);
  const csv = download.text;
  return { done, csv, lines: csv.split('\r\n').slice(0, -1), download };
}

/** An order created over HTTP; `at` then sets its creation time, so filters and order are known. */
export async function orderAt(
  app: TestApp,
  user: SignedUpUser,
  at: string,
  order: { items: number; clientReference?: string },
): Promise<{ id: string; total: number }> {
  const items = Array.from({ length: order.items }, (_, i) => ({
    sku: `SKU-${i}`,
    quantity: i + 1,
    unitPrice: 250,
  }));
  const created = await app.http
    .post('/api/orders')
    .set(user.auth)
    .set('Idempotency-Key', randomUUID())
    .send({ currency: 'EUR', items, clientReference: order.clientReference })
    .expect(201);
  await app.dataSource.query('UPDATE orders SET created_at = $2 WHERE id = $1', [
    created.body.id,
    at,
  ]);
  return { id: created.body.id as string, total: created.body.total as number };
}
