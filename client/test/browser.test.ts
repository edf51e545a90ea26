import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { ApiError, OrderServiceClient } from '../src/index.js';
import type * as Scenario from './browser/scenario.js';
import { CHROMIUM_ARGS, chromiumExecutable } from './support/chromium.js';
import { startPageServer, type PageServer } from './support/page-server.js';
import { startService, type RunningService } from './support/service.js';

// CORS proven in headless Chromium: the page is served from an origin the service allows
// (CORS_ORIGINS), and the same page from another origin must be refused by the browser.
let pages: PageServer;
let service: RunningService;
let browser: Browser;
before(async () => {
  const executablePath = chromiumExecutable();
  pages = await startPageServer();
  service = await startService({ CORS_ORIGINS: pages.allowedOrigin });
  browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
});
after(async () => {
  await browser?.close();
  await service?.stop();
  await pages?.close();
});

type ScenarioWindow = { scenario: typeof Scenario };

/** Opens the test page at `origin`; `corsError` resolves with the first CORS error DevTools reports. */
async function openPage(origin: string) {
  const page = await browser.newPage();
  const devtools = await page.context().newCDPSession(page);
  const corsError = new Promise<string>((resolve) =>
    devtools.on('Network.loadingFailed', (event) => {
      if (event.corsErrorStatus) resolve(event.corsErrorStatus.corsError);
    }),
  );
  await devtools.send('Network.enable');
  const pageErrors: Error[] = [];
  page.on('pageerror', (error) => pageErrors.push(error));
  await page.goto(`${origin}/`);
  await page
    .waitForFunction(() => 'scenario' in window, undefined, { timeout: 10_000 })
    .catch(() => {
      throw new Error(`the test page did not load its modules: ${pageErrors.join('; ')}`);
    });
  return { page, corsError };
}

/** DevTools reports a failed load a little after fetch has rejected in the page. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms).unref(),
  );
  return Promise.race([promise, timeout]);
}

function runInPage<K extends keyof typeof Scenario>(page: Page, name: K, serviceUrl: string) {
  return page.evaluate(([fn, url]) => (window as unknown as ScenarioWindow).scenario[fn](url), [
    name,
    serviceUrl,
  ] as const) as ReturnType<(typeof Scenario)[K]>;
}

describe('the client in Chromium, from a page on another origin than the service', () => {
  it('an allowed origin signs up, signs in, creates, replays and uploads, and reads Location, ETag and Idempotent-Replayed', async () => {
    const { page } = await openPage(pages.allowedOrigin);
    const result = await runInPage(page, 'createEverything', service.baseUrl);
    await page.close();
    const api = `${service.baseUrl}/api`;
    assert.equal(result.signedUp.location, `${api}/users/${result.signedUp.data.id}`);
    assert.equal(result.created.location, `${api}/orders/${result.created.data.id}`);
    assert.match(result.created.etag ?? '', /^"[^"]+"$/);
    assert.equal(result.created.replayed, false);
    assert.deepEqual(
      [
        result.replayed.data,
        result.replayed.location,
        result.replayed.etag,
        result.replayed.replayed,
      ],
      [result.created.data, result.created.location, result.created.etag, true],
    );
    assert.deepEqual(result.orderIds, [result.created.data.id]);
    assert.equal(result.file.location, `${api}/files/${result.file.data.id}`);
    assert.equal(
      result.file.data.sha256,
      createHash('sha256').update('hello from the browser\n').digest('hex'),
    );
    assert.deepEqual(result.wrongPassword, {
      name: 'ApiError',
      status: 401,
      code: 'invalid_credentials',
    });
  });

  it('an allowed origin uploads an image and receives its file.ready over events() (fetch streaming, cross-origin)', async () => {
    const { page } = await openPage(pages.allowedOrigin);
    const result = await within(
      runInPage(page, 'uploadImageAndAwaitReady', service.baseUrl),
      30_000,
      'file.ready in the page',
    );
    await page.close();
    assert.deepEqual(result.seen, ['file.created upload', 'file.ready upload']);
    assert.equal((result.ready as { id: string }).id, result.fileId);
    assert.equal((result.ready as { status: string }).status, 'ready');
  });

  it("an allowed origin's own EventSource receives its events on the stream's link (no token)", async () => {
    const { page } = await openPage(pages.allowedOrigin);
    const result = await within(
      runInPage(page, 'eventSourceOnLink', service.baseUrl),
      30_000,
      'order.created on EventSource',
    );
    await page.close();
    assert.deepEqual([result.type, result.isTheOrder], ['order.created', true]);
    assert.match(result.id, /^[\w-]+$/); // the event's cursor, as EventSource keeps it
  });

  it('another origin is refused by the browser (CORS), for a request the service itself answers', async () => {
    const outsideBrowser = new OrderServiceClient({ baseUrl: service.baseUrl });
    const credentials = { email: 'nobody@example.com', password: 'not a password' };
    await assert.rejects(
      outsideBrowser.signIn(credentials),
      (e) => e instanceof ApiError && e.status === 401,
    );

    const allowed = await openPage(pages.allowedOrigin);
    const answer = await runInPage(allowed.page, 'signInFromThisOrigin', service.baseUrl);
    assert.deepEqual(answer, { name: 'ApiError', status: 401, code: 'invalid_credentials' });

    const other = await openPage(pages.otherOrigin);
    const refused = await runInPage(other.page, 'signInFromThisOrigin', service.baseUrl);
    assert.deepEqual(refused, { name: 'TypeError', message: 'Failed to fetch' });
    // The cause, from DevTools: the preflight's answer had no Access-Control-Allow-Origin for it.
    const cause = await within(other.corsError, 5_000, 'CORS error from DevTools');
    assert.equal(cause, 'PreflightMissingAllowOriginHeader');
    await Promise.all([allowed.page.close(), other.page.close()]);
  });
});
