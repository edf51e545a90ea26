import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  ApiError,
  CreateUnconfirmedError,
  newIdempotencyKey,
  OrderServiceClient,
} from '../src/index.js';
import { newUser, ORDER, signedInUser } from './support/fixtures.js';
import { type FlakyProxy, startServiceBehindProxy } from './support/flaky-proxy.js';
import {
  failingFirst,
  keyInUse,
  recordingFetch,
  serviceUnavailable,
} from './support/recording-fetch.js';
import type { RunningService } from './support/service.js';

// The real service and PostgreSQL: nothing below is mocked but the one 503 the service cannot be
// made to send on demand, and the 409 of a key in use, which lasts only one statement.
let service: RunningService;
let proxy: FlakyProxy;
let stop: (() => Promise<void>) | undefined;
before(async () => ({ service, proxy, stop } = await startServiceBehindProxy()));
after(() => stop?.());

/** A signed-in user's client whose every request is logged; `baseUrl` may point at the proxy. */
async function userClient(
  options: { baseUrl?: string; fetch?: Parameters<typeof recordingFetch>[0] } = {},
) {
  const { accessToken } = await signedInUser(service.baseUrl);
  const recorder = recordingFetch(options.fetch);
  const client = new OrderServiceClient({
    baseUrl: options.baseUrl ?? service.baseUrl,
    accessToken,
    fetch: recorder.fetch,
  });
  const creates = () => recorder.sent.filter((s) => s.method === 'POST');
  return { client, creates, accessToken };
}

describe('creates answer 201 with the resource, Location, ETag and replayed', () => {
  it('signUp', async () => {
    const client = new OrderServiceClient({ baseUrl: service.baseUrl });
    const user = newUser();
    const created = await client.signUp(user);
    assert.equal(created.data.email, user.email);
    assert.equal('password' in created.data, false);
    assert.equal(created.location, `${service.baseUrl}/api/users/${created.data.id}`);
    assert.match(created.etag ?? '', /^"[^"]+"$/);
    assert.deepEqual([created.replayed, created.attempts], [false, 1]);
  });

  it('getMe reads the signed-in user, whose id a sign-in does not give', async () => {
    const { client } = await userClient();
    const me = await client.getMe();
    assert.match(me.data.id, /^[0-9a-f-]{36}$/);
    assert.match(me.etag ?? '', /^"[\w-]+"$/);
    const order = await client.createOrder(ORDER);
    assert.equal(order.data.userId, me.data.id);
  });

  it('createOrder, and the order reads back with the same ETag', async () => {
    const { client, creates } = await userClient();
    const created = await client.createOrder(ORDER);
    assert.equal(created.data.status, 'pending');
    assert.equal(created.data.total, 2500);
    assert.equal(created.location, `${service.baseUrl}/api/orders/${created.data.id}`);
    assert.deepEqual([created.replayed, created.attempts], [false, 1]);
    assert.equal(created.retryAfter, null); // a 201 says nothing of when to look again
    assert.match(
      created.idempotencyKey,
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    assert.equal(creates()[0]?.idempotencyKey, created.idempotencyKey);
    const read = await client.getOrder(created.data.id);
    assert.deepEqual(read, { data: created.data, etag: created.etag });
  });

  it('uploadFile, and the same key replays the stored file', async () => {
    const { client } = await userClient();
    const text = 'hello, order service\n';
    const created = await client.uploadFile(new Blob([text], { type: 'text/plain' }), 'hello.txt');
    assert.equal(created.data.filename, 'hello.txt');
    assert.equal(created.data.sha256, createHash('sha256').update(text).digest('hex'));
    assert.equal(created.location, `${service.baseUrl}/api/files/${created.data.id}`);
    const again = await client.uploadFile(new Blob([text]), 'hello.txt', {
      idempotencyKey: created.idempotencyKey,
    });
    assert.deepEqual([again.data, again.etag, again.replayed], [created.data, created.etag, true]);
  });

  it('fileLinks gives an absolute URL that opens the bytes without a token', async () => {
    const { client } = await userClient();
    const text = 'for an <a download> link\n';
    const created = await client.uploadFile(new Blob([text], { type: 'text/plain' }), 'link.txt');
    const links = await client.fileLinks(created.data.id, { expiresIn: 60 });
    assert.ok(
      links.url.startsWith(`${service.baseUrl}/api/files/${created.data.id}/content?link=`),
    );
    assert.equal(links.thumbnailUrl, null);
    const expiresIn = Date.parse(links.expiresAt) - Date.now();
    assert.ok(expiresIn > 55_000 && expiresIn <= 60_000, `expires in ${expiresIn} ms`);
    const opened = await fetch(links.url); // no Authorization, as a browser's <img> or <a> sends
    assert.equal(opened.status, 200);
    assert.equal(await opened.text(), text);
  });
});

describe('retries re-send the same key and body, and the service creates exactly once', () => {
  for (const fault of ['drop', 'stall'] as const) {
    const lost = fault === 'drop' ? 'TypeError' : 'TimeoutError';
    it(`a response lost after the commit (${fault}: ${lost}) is retried and replayed`, async () => {
      const { client, creates } = await userClient({ baseUrl: proxy.url });
      proxy.failNextResponse(fault);
      // Long enough that only the stall, never a slow machine, runs an attempt out of time.
      const created = await client.createOrder(ORDER, { timeoutMs: 3_000 });
      assert.equal(proxy.faultsApplied() > 0, true);
      assert.deepEqual(
        creates().map((s) => s.outcome),
        [lost, 201],
      );
      assertSameKeyAndBody(creates(), created.idempotencyKey);
      assert.deepEqual([created.replayed, created.attempts], [true, 2]);
      const orders = await client.listOrders();
      assert.deepEqual(
        orders.data.map((order) => order.id),
        [created.data.id],
      );
    });
  }

  it('a retry sends the body as it was when the call was made, whatever the caller changes meanwhile', async () => {
    const { client, creates } = await userClient({ baseUrl: proxy.url });
    const draft = new Proxy({ ...ORDER, note: 'ring' }, {}); // as a reactive store holds it
    proxy.failNextResponse('drop'); // the first 201 is lost after the commit
    const call = client.createOrder(draft, { timeoutMs: 3_000 });
    const deadline = Date.now() + 5_000;
    while (creates()[0]?.outcome !== 'TypeError' && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 5));
    draft.note = 'ring twice'; // a form still being edited, while the retry waits
    const created = await call;
    assert.deepEqual([created.replayed, created.data.note], [true, 'ring']);
    assertSameKeyAndBody(creates(), created.idempotencyKey);
  });

  it('answers lost every time reject with the key, which sends the create again exactly once', async () => {
    const { client, creates, accessToken } = await userClient({
      fetch: async (request) => {
        await (await fetch(request)).arrayBuffer(); // done, and the answer lost on the way back
        throw new TypeError('fetch failed');
      },
    });
    const failed = await client
      .createOrder(ORDER, { timeoutMs: 5_000 })
      .catch((error: unknown) => error);
    assert.ok(failed instanceof CreateUnconfirmedError);
    assert.equal(failed.attempts, 5);
    assert.ok(failed.cause instanceof TypeError);
    assertSameKeyAndBody(creates(), failed.idempotencyKey);
    const again = new OrderServiceClient({ baseUrl: service.baseUrl, accessToken });
    const sentAgain = await again.createOrder(ORDER, { idempotencyKey: failed.idempotencyKey });
    assert.equal(sentAgain.replayed, true);
    assert.equal((await again.listOrders()).data.length, 1);
  });

  it('concurrent twins under one key create one user: the second answer is the first one replayed', async () => {
    const client = new OrderServiceClient({ baseUrl: service.baseUrl });
    const user = newUser();
    const idempotencyKey = newIdempotencyKey();
    const twins = await Promise.all([
      client.signUp(user, { idempotencyKey }),
      client.signUp(user, { idempotencyKey }),
    ]);
    assert.equal(twins[0].data.id, twins[1].data.id);
    assert.deepEqual(twins.map((t) => t.replayed).sort(), [false, true]);
  });

  // The service holds a key only for the one statement that writes it, too briefly to overlap on
  // demand, and answers 503 only while its database is down; so the first answer is sent here, and
  // the retry goes to the real service.
  for (const [first, answer] of [
    ['409 idempotency_key_in_use', () => keyInUse(1)],
    ['503 service_unavailable', () => serviceUnavailable(1)],
  ] as const) {
    it(`${first} with Retry-After: waits that long, then the same key creates the order once`, async () => {
      const { client, creates } = await userClient({
        fetch: failingFirst(1, answer, (request) => fetch(request)),
      });
      const started = Date.now();
      const created = await client.createOrder(ORDER);
      assert.ok(Date.now() - started >= 1_000, 'the retry honoured Retry-After: 1');
      assert.deepEqual(
        creates().map((s) => `${s.outcome} ${s.problemCode ?? ''}`.trim()),
        [first, '201'],
      );
      assertSameKeyAndBody(creates(), created.idempotencyKey);
      assert.deepEqual([created.replayed, created.attempts], [false, 2]);
      assert.equal((await client.listOrders()).data.length, 1);
    });
  }
});

describe('answers that a retry cannot change are not retried, and carry the problem', () => {
  it('422 idempotency_key_reused', async () => {
    const { client, creates } = await userClient();
    const { idempotencyKey } = await client.createOrder(ORDER);
    const other = { ...ORDER, note: 'another request under the same key' };
    await assert.rejects(
      client.createOrder(other, { idempotencyKey }),
      problem(422, 'idempotency_key_reused'),
    );
    assert.equal(creates().length, 2);
  });

  it('409 order_reference_taken (a business conflict, not the in-flight one)', async () => {
    const { client, creates } = await userClient();
    await client.createOrder({ ...ORDER, clientReference: 'cart-1' });
    await assert.rejects(
      client.createOrder({ ...ORDER, clientReference: 'cart-1' }),
      problem(409, 'order_reference_taken'),
    );
    assert.equal(creates().length, 2);
  });

  it('400 validation_failed, with the fields in error', async () => {
    const { client, creates } = await userClient();
    const error = await client
      // @ts-expect-error the document's ISO 4217 enumeration refuses it, and so must the service
      .createOrder({ currency: 'euro', items: [] })
      .catch((e: unknown) => e);
    assert.ok(problem(400, 'validation_failed')(error));
    const fields = (error as ApiError).problem?.errors?.map((e) => e.field).sort();
    assert.deepEqual(fields, ['currency', 'items']);
    assert.equal(creates().length, 1);
  });

  it("a caller's abort ends the create at once", async () => {
    const { client, creates } = await userClient();
    const signal = AbortSignal.abort();
    await assert.rejects(client.createOrder(ORDER, { signal }), { name: 'AbortError' });
    assert.deepEqual(
      creates().map((s) => s.outcome),
      ['AbortError'],
    );
  });

  it('sign-in with a wrong password: 401 invalid_credentials', async () => {
    const client = new OrderServiceClient({ baseUrl: service.baseUrl });
    const credentials = { email: newUser().email, password: 'not the password' };
    await assert.rejects(client.signIn(credentials), problem(401, 'invalid_credentials'));
  });
});

function assertSameKeyAndBody(
  sent: { idempotencyKey: string | null; body: string }[],
  key: string,
) {
  assert.ok(sent.length > 1);
  for (const request of sent)
    assert.deepEqual([request.idempotencyKey, request.body], [key, sent[0]!.body]);
}

function problem(status: number, code: string) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof ApiError, `expected an ApiError, got ${String(error)}`);
    assert.deepEqual([error.status, error.code, error.attempts], [status, code, 1]);
    assert.equal(error.problem?.status, status);
    assert.ok(error.title.length > 0 && error.detail.length > 0);
    return true;
  };
}
