import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ApiError,
  ExportFailedError,
  newIdempotencyKey,
  type OrderExport,
  OrderServiceClient,
} from '../src/index.js';
import { ORDER, signedInUser } from './support/fixtures.js';
import { recordingFetch, serviceUnavailable } from './support/recording-fetch.js';
import { startService, type RunningService } from './support/service.js';

let service: RunningService;
before(async () => {
  service = await startService();
});
after(async () => {
  await service?.stop();
});

async function userClient() {
  const { accessToken } = await signedInUser(service.baseUrl);
  const recorder = recordingFetch();
  const client = new OrderServiceClient({
    baseUrl: service.baseUrl,
    accessToken,
    fetch: recorder.fetch,
  });
  const requests = () => recorder.sent.map((s) => `${s.method} ${s.path} ${s.outcome}`);
  return { client, accessToken, requests };
}

describe('exportOrders against the service', () => {
  it('posts the export, follows its monitor after each Retry-After, and resolves to the CSV file', async () => {
    const { client, accessToken, requests } = await userClient();
    const kept = await client.createOrder({ ...ORDER, clientReference: 'keep,"me"' });
    const dropped = await client.createOrder(ORDER);
    await client.raw.POST('/api/orders/{id}/cancel', {
      params: { path: { id: dropped.data.id } },
    });
    const cancelled = await client.listOrders({ status: 'cancelled' });
    assert.deepEqual(
      cancelled.data.map((order) => order.id),
      [dropped.data.id],
    );
    const started = Date.now();
    const exported = await client.exportOrders({ status: 'pending' });
    assert.ok(Date.now() - started >= 1_000, 'the first look waited for the 202 Retry-After');
    assert.deepEqual(
      [exported.status, exported.rowCount, exported.filter.status, exported.file?.contentType],
      ['succeeded', 1, 'pending', 'text/csv'],
    );
    const exportRequests = requests().slice(requests().indexOf('POST /api/order-exports 202'));
    assert.ok(exportRequests.length >= 2);
    for (const request of exportRequests.slice(1))
      assert.equal(request, `GET /api/order-exports/${exported.id} 200`);
    const csv = await fetch(new URL(exported.file!.url, service.baseUrl), {
      headers: { Authorization: `Bearer ${accessToken}` },
    }).then((response) => response.text());
    assert.deepEqual(csv.split('\r\n').slice(1), [
      `${kept.data.id},${kept.data.createdAt},pending,EUR,2500,"keep,""me""",1`,
      '',
    ]);
  });

  it('with the same idempotencyKey, a second call follows the same export', async () => {
    const { client } = await userClient();
    const idempotencyKey = newIdempotencyKey();
    const first = await client.exportOrders({}, { idempotencyKey });
    const again = await client.exportOrders({}, { idempotencyKey });
    assert.equal(again.id, first.id);
    assert.deepEqual(again.file, first.file);
  });

  it('listOrderExports and listFiles page through the exports and their CSVs, newest first', async () => {
    const { client } = await userClient();
    const older = await client.exportOrders();
    const newer = await client.exportOrders({ status: 'cancelled' });
    const first = await client.listOrderExports({ limit: 1 });
    assert.deepEqual(first.data, [newer]);
    const second = await client.listOrderExports({ limit: 1, cursor: first.nextCursor! });
    assert.deepEqual([second.data, second.nextCursor], [[older], null]);
    const files = await client.listFiles();
    assert.deepEqual(files, { data: [newer.file, older.file], nextCursor: null });
  });

  it('eachOrder, eachFile and eachOrderExport follow the pages, reading one only when it is needed', async () => {
    const { client, requests } = await userClient();
    const orders = [];
    for (let i = 0; i < 3; i++) orders.push((await client.createOrder(ORDER)).data.id);
    await client.raw.POST('/api/orders/{id}/cancel', { params: { path: { id: orders[1]! } } });
    const pending = [];
    for await (const order of client.eachOrder({ status: 'pending', limit: 1 }))
      pending.push(order.id);
    assert.deepEqual(pending, [orders[2], orders[0]]);
    const older = await client.exportOrders();
    const newer = await client.exportOrders();
    const exports = [];
    for await (const exported of client.eachOrderExport({ limit: 1 })) exports.push(exported);
    assert.deepEqual(exports, [newer, older]);
    const files = [];
    for await (const file of client.eachFile({ limit: 1 })) files.push(file);
    assert.deepEqual(files, [newer.file, older.file]);

    const before = requests().length;
    for await (const order of client.eachOrder({ limit: 1 })) {
      assert.equal(order.id, orders[2]);
      break; // the first order is enough: no second page is read
    }
    assert.deepEqual(requests().slice(before), ['GET /api/orders 200']);
  });

  it('a filter the service refuses is an ApiError, and no monitor is read', async () => {
    const { client, requests } = await userClient();
    const error = await client.exportOrders({ createdFrom: 'yesterday' }).catch((e: unknown) => e);
    assert.ok(error instanceof ApiError);
    assert.deepEqual([error.status, error.code], [400, 'validation_failed']);
    assert.deepEqual(requests(), ['POST /api/order-exports 400']);
  });
});

describe('exportOrders following a monitor (fake answers)', () => {
  const BASE = 'http://127.0.0.1:9'; // never contacted: every answer below is made here
  const ID = '01a20107-2a26-7789-8895-000000000001';
  const exportIn = (status: OrderExport['status'], more: Partial<OrderExport> = {}) =>
    ({
      id: ID,
      status,
      format: 'csv',
      rowCount: null,
      file: null,
      error: null,
      ...more,
    }) as OrderExport;
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'Content-Type': 'application/json', 'Retry-After': '0', ...headers },
    });

  /** A client whose fetch gives `answers` in order, and the requests it was sent. */
  function scripted(answers: Response[]) {
    const recorder = recordingFetch(() => Promise.resolve(answers.shift()!));
    const client = new OrderServiceClient({
      baseUrl: BASE,
      accessToken: 'token',
      fetch: recorder.fetch,
      retry: { baseDelayMs: 1 },
    });
    return { client, sent: () => recorder.sent.map((s) => `${s.method} ${s.outcome}`) };
  }

  it('reads again after a 502, 503, 504 or 429, JSON or not, and rejects with ExportFailedError once the export failed', async () => {
    const error = { code: 'export_failed', detail: 'request a new export' };
    const { client, sent } = scripted([
      json(202, exportIn('queued'), { Location: `${BASE}/api/order-exports/${ID}` }),
      json(200, exportIn('running')),
      serviceUnavailable(0),
      // A gateway's answers in front of the service: not JSON, yet retried all the same.
      new Response('<html>503 Service Unavailable</html>', {
        status: 503,
        headers: { 'Retry-After': '0' },
      }),
      new Response(null, { status: 429, headers: { 'Retry-After': '0' } }),
      json(200, exportIn('running')), // and a new count of failed reads
      new Response('<html>502 Bad Gateway</html>', { status: 502 }),
      new Response(null, { status: 504 }),
      json(200, exportIn('failed', { error })),
    ]);
    const failed = await client.exportOrders().catch((e: unknown) => e);
    assert.ok(failed instanceof ExportFailedError);
    assert.deepEqual(
      [failed.code, failed.detail, failed.exported.id],
      [...Object.values(error), ID],
    );
    assert.deepEqual(sent(), [
      'POST 202',
      ...['GET 200', 'GET 503', 'GET 503', 'GET 429', 'GET 200', 'GET 502', 'GET 504', 'GET 200'],
    ]);
  });

  it('rejects with an ApiError when a 2xx is not an export (a captive portal page), without reading again', async () => {
    const { client, sent } = scripted([
      json(202, exportIn('queued'), { Location: `/api/order-exports/${ID}` }),
      new Response('<html>Sign in to the Wi-Fi</html>', { status: 200 }),
    ]);
    const error = await client.exportOrders().catch((e: unknown) => e);
    assert.ok(error instanceof ApiError, String(error));
    assert.deepEqual([error.status, error.code], [200, 'unexpected_response']);
    assert.deepEqual(sent(), ['POST 202', 'GET 200']);
  });

  it('gives up on a monitor that answers 404, without reading it again', async () => {
    const notFound = {
      type: 'x',
      title: 'Not found',
      status: 404,
      detail: 'gone',
      code: 'not_found',
    };
    const { client, sent } = scripted([
      json(202, exportIn('queued'), { Location: `/api/order-exports/${ID}` }),
      json(404, notFound, { 'Content-Type': 'application/problem+json' }),
    ]);
    const error = await client.exportOrders().catch((e: unknown) => e);
    assert.ok(error instanceof ApiError);
    assert.deepEqual([error.status, error.code], [404, 'not_found']);
    assert.deepEqual(sent(), ['POST 202', 'GET 404']);
  });

  /** A 200 whose body starts and then, on `cut`, errors as fetch's does (or never ends). */
  function bodyCutOff(cut: (fail: (error: unknown) => void) => void) {
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"id":"'));
        cut((error) => controller.error(error));
      },
    });
    return new Response(stream, { headers: { 'Content-Type': 'application/json' } });
  }

  it('reads again when a status body is cut off part-way, as a network failure', async () => {
    const { client, sent } = scripted([
      json(202, exportIn('queued'), { Location: `/api/order-exports/${ID}` }),
      bodyCutOff((fail) => fail(new TypeError('terminated'))),
      json(200, exportIn('succeeded')),
    ]);
    const done = await client.exportOrders();
    assert.equal(done.status, 'succeeded');
    assert.deepEqual(sent(), ['POST 202', 'GET 200', 'GET 200']);
  });

  it("rejects with the caller's reason when it aborts while a status body is read", async () => {
    const controller = new AbortController();
    const answers = [json(202, exportIn('queued'), { Location: `/api/order-exports/${ID}` })];
    const recorder = recordingFetch(async (request) => {
      const answer = answers.shift();
      if (answer) return answer;
      // The body's stream ends as fetch's does on an abort: with the signal's reason.
      const onAbort = (fail: (error: unknown) => void) =>
        request.signal.addEventListener('abort', () => fail(request.signal.reason));
      setImmediate(() => controller.abort(new Error('the user left')));
      return bodyCutOff(onAbort);
    });
    const client = new OrderServiceClient({
      baseUrl: BASE,
      accessToken: 'token',
      fetch: recorder.fetch,
      retry: { baseDelayMs: 1 },
    });
    await assert.rejects(client.exportOrders(undefined, { signal: controller.signal }), {
      message: 'the user left',
    });
  });

  it('rejects with an ApiError when a 2xx is JSON but no export it knows, rather than poll for ever', async () => {
    const { client } = scripted([
      json(202, exportIn('queued'), { Location: `/api/order-exports/${ID}` }),
      json(200, { status: 'ok' }),
    ]);
    const error = await client.exportOrders().catch((e: unknown) => e);
    assert.ok(error instanceof ApiError, String(error));
    assert.equal(error.code, 'unexpected_response');
  });
});
