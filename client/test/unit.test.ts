import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type AccessToken,
  ApiError,
  type Created,
  CreateUnconfirmedError,
  newIdempotencyKey,
  OrderServiceClient,
} from '../src/index.js';
import {
  type AttemptOutcome,
  jitteredBackoffMs,
  retryAfterMs,
  retryDelayMs,
  type RetryPolicy,
} from '../src/retry.js';
import { ORDER } from './support/fixtures.js';
import { failingFirst, recordingFetch, serviceUnavailable } from './support/recording-fetch.js';

const POLICY: RetryPolicy = { attempts: 5, baseDelayMs: 100, maxDelayMs: 5_000 };
const noJitter = () => 1; // the top of the jitter range: the full exponential step

function answer(status: number, code?: string, retryAfter?: string): AttemptOutcome {
  const headers = retryAfter === undefined ? undefined : { 'Retry-After': retryAfter };
  const body =
    code === undefined ? undefined : { status, code, title: code, detail: code, type: code };
  return { kind: 'answer', response: new Response(null, { status, headers }), body };
}

function thrown(error: unknown): AttemptOutcome {
  return { kind: 'thrown', error };
}

describe('retryDelayMs: what is retried, and after how long', () => {
  const cases: [string, AttemptOutcome, number | null][] = [
    ['a network failure', thrown(new TypeError('fetch failed')), 100],
    ['a per-attempt timeout', thrown(new DOMException('timed out', 'TimeoutError')), 100],
    ['503 without Retry-After', answer(503, 'service_unavailable'), 100],
    ['503 Retry-After: 2', answer(503, 'service_unavailable', '2'), 2_000],
    ['429 Retry-After: 1', answer(429, 'rate_limited', '1'), 1_000],
    ["a gateway's 502", answer(502), 100],
    ["a gateway's 504 Retry-After: 3", answer(504, undefined, '3'), 3_000],
    ['409 idempotency_key_in_use', answer(409, 'idempotency_key_in_use', '1'), 1_000],
    ['Retry-After beyond maxDelayMs', answer(503, 'service_unavailable', '60'), null],
    ["the caller's abort", thrown(new DOMException('aborted', 'AbortError')), null],
    ['a body that is not JSON', thrown(new SyntaxError('Unexpected token')), null],
    ['409 order_reference_taken', answer(409, 'order_reference_taken'), null],
    ['409 email_taken', answer(409, 'email_taken'), null],
    ['409 without a problem body', answer(409), null],
    ['422 idempotency_key_reused', answer(422, 'idempotency_key_reused'), null],
    ['400 validation_failed', answer(400, 'validation_failed'), null],
    ['401 unauthorized', answer(401, 'unauthorized'), null],
    ['500 internal_error', answer(500, 'internal_error'), null],
  ];
  for (const [name, outcome, expected] of cases) {
    it(`${name}: ${expected === null ? 'not retried' : `${expected} ms`}`, () => {
      assert.equal(retryDelayMs(outcome, 1, POLICY, noJitter), expected);
    });
  }

  it('stops when the attempts are used up', () => {
    const outcome = answer(503, 'service_unavailable');
    assert.equal(retryDelayMs(outcome, 4, POLICY, noJitter), 800);
    assert.equal(retryDelayMs(outcome, 5, POLICY, noJitter), null);
  });

  it('waits for the longer of Retry-After and the backoff', () => {
    assert.equal(
      retryDelayMs(
        answer(503, 'service_unavailable', '1'),
        5,
        { ...POLICY, attempts: 9 },
        noJitter,
      ),
      1_600,
    );
  });
});

describe('backoff and Retry-After parsing', () => {
  it('doubles per attempt, jittered within the upper half of the step, capped at maxDelayMs', () => {
    assert.deepEqual(
      [1, 2, 3].map((n) => jitteredBackoffMs(n, POLICY, () => 0)),
      [50, 100, 200],
    );
    assert.deepEqual(
      [1, 2, 3].map((n) => jitteredBackoffMs(n, POLICY, () => 1)),
      [100, 200, 400],
    );
    assert.equal(
      jitteredBackoffMs(20, POLICY, () => 1),
      5_000,
    );
  });

  it('reads delay-seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(retryAfterMs('3'), 3_000);
    assert.equal(retryAfterMs('Thu, 01 Jan 2026 00:00:05 GMT', now), 5_000);
    assert.equal(retryAfterMs('soon'), null);
    assert.equal(retryAfterMs(null), null);
  });
});

describe('newIdempotencyKey', () => {
  const uuidV4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  it('is a fresh UUID v4 each time', () => {
    const keys = new Set(Array.from({ length: 100 }, () => newIdempotencyKey()));
    assert.equal(keys.size, 100);
    for (const key of keys) assert.match(key, uuidV4);
  });

  it('falls back to getRandomValues where randomUUID is missing (insecure browser contexts)', () => {
    const withoutRandomUuid = { getRandomValues: crypto.getRandomValues.bind(crypto) };
    for (let i = 0; i < 100; i++) assert.match(newIdempotencyKey(withoutRandomUuid), uuidV4);
  });
});

describe('a create that keeps failing', () => {
  it('gives up after the configured attempts with the last problem', async () => {
    const recorder = recordingFetch(
      failingFirst(
        99,
        () => serviceUnavailable(0),
        () => Promise.reject(new Error('unreachable')),
      ),
    );
    const client = new OrderServiceClient({
      baseUrl: 'http://127.0.0.1:9', // never contacted: every answer is the fake 503
      accessToken: 'token',
      fetch: recorder.fetch,
      retry: { attempts: 3, baseDelayMs: 1 },
    });
    const error = await client.createOrder(ORDER).catch((e: unknown) => e);
    assert.ok(error instanceof ApiError);
    assert.deepEqual([error.status, error.code, error.attempts], [503, 'service_unavailable', 3]);
    assert.equal(recorder.sent.length, 3);
    assert.equal(new Set(recorder.sent.map((s) => s.idempotencyKey)).size, 1);
    assert.equal(error.idempotencyKey, recorder.sent[0]!.idempotencyKey);
  });

  it('takes an attempt whose timeout fired for a timeout, whatever error the fetch rejected with', async () => {
    // Some engines reject a timed-out fetch with an AbortError, the name of a caller's own abort.
    const abortLike = (request: Request) =>
      new Promise<Response>((_resolve, reject) => {
        const pending = setTimeout(() => reject(new Error('never aborted')), 5_000); // as a socket would, it keeps the process up
        request.signal.addEventListener('abort', () => {
          clearTimeout(pending);
          reject(new DOMException('aborted', 'AbortError'));
        });
      });
    const client = new OrderServiceClient({
      baseUrl: 'http://127.0.0.1:9', // never contacted
      accessToken: 'token',
      fetch: abortLike,
      retry: { attempts: 2, baseDelayMs: 1 },
    });
    const error = await client.createOrder(ORDER, { timeoutMs: 20 }).catch((e: unknown) => e);
    assert.ok(error instanceof CreateUnconfirmedError);
    assert.equal(error.attempts, 2);
    assert.equal((error.cause as Error).name, 'TimeoutError');
  });

  for (const [what, answer] of [
    ["a captive portal's page", () => new Response('<html>Sign in to the Wi-Fi</html>')],
    ["a proxy's empty 204", () => new Response(null, { status: 204 })],
    ['JSON that is no resource', () => Response.json({ status: 'ok' })],
  ] as const) {
    it(`takes a 2xx that is no resource (${what}) for an ApiError with the key, sent once`, async () => {
      const recorder = recordingFetch(() => Promise.resolve(answer()));
      const client = new OrderServiceClient({
        baseUrl: 'http://127.0.0.1:9', // never contacted
        accessToken: 'token',
        fetch: recorder.fetch,
      });
      const error = await client.createOrder(ORDER).catch((e: unknown) => e);
      assert.ok(error instanceof ApiError, String(error));
      assert.equal(error.code, 'unexpected_response');
      assert.equal(error.status, recorder.sent[0]!.outcome);
      assert.equal(recorder.sent.length, 1);
      assert.equal(error.idempotencyKey, recorder.sent[0]!.idempotencyKey);
    });
  }

  it('takes a 2xx read that is no JSON object (a captive portal page) for an ApiError', async () => {
    const portal = () => Promise.resolve(new Response('<html>Sign in to the Wi-Fi</html>'));
    const client = new OrderServiceClient({ baseUrl: 'http://127.0.0.1:9', fetch: portal });
    const reads = [
      client.getOrder('0190a000-0000-7000-8000-000000000001'),
      client.listOrders(),
      client.signIn({ email: 'ann@example.com', password: 'long enough' }),
    ];
    for (const read of reads) {
      const error = await read.catch((e: unknown) => e);
      assert.ok(error instanceof ApiError, String(error));
      assert.deepEqual([error.status, error.code], [200, 'unexpected_response']);
    }
  });

  it('refuses a body JSON cannot carry before anything is sent', async () => {
    const recorder = recordingFetch(() => Promise.reject(new Error('unreachable')));
    const client = new OrderServiceClient({
      baseUrl: 'http://127.0.0.1:9',
      accessToken: 'token',
      fetch: recorder.fetch,
    });
    const cyclic: Record<string, unknown> = { ...ORDER };
    cyclic.self = cyclic;
    await assert.rejects(client.createOrder(cyclic as never), TypeError);
    assert.equal(recorder.sent.length, 0);
  });
});

describe('types what openapi.json states', () => {
  type Same<A, B> =
    (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

  it('tokenType is the literal "Bearer"; the create headers are typed fields', () => {
    // Compile-time checks: each line fails `tsc` if the document's types drift.
    const tokenType: Same<AccessToken['tokenType'], 'Bearer'> = true;
    const location: Same<Created<unknown>['location'], string | null> = true;
    const etag: Same<Created<unknown>['etag'], string | null> = true;
    const retryAfter: Same<Created<unknown>['retryAfter'], number | null> = true;
    const replayed: Same<Created<unknown>['replayed'], boolean> = true;
    assert.ok(tokenType && location && etag && retryAfter && replayed);
  });
});
