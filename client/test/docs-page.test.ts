import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumExecutable } from './support/chromium.js';
import { signedInUser } from './support/fixtures.js';
import { startService, type RunningService } from './support/service.js';

// The service's docs page (Swagger UI) in headless Chromium: it must work under the
// Content-Security-Policy the service sends with it, which a policy too strict would break
// silently (the browser only reports what it blocked).
let service: RunningService;
let browser: Browser;
before(async () => {
  const executablePath = chromiumExecutable();
  service = await startService();
  browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
});
after(async () => {
  await browser?.close();
  await service?.stop();
});

type ViolationsWindow = { violations: string[] };

/** Run in the page before its scripts: what the policy blocks, as `window.violations`. */
function collectViolations() {
  const seen: string[] = [];
  (window as unknown as ViolationsWindow).violations = seen;
  document.addEventListener('securitypolicyviolation', (event) =>
    seen.push(`${event.effectiveDirective} ${event.blockedURI}`),
  );
}

describe('the docs page at /api/docs', () => {
  it('renders its operations under its Content-Security-Policy, which blocks nothing it needs', async () => {
    const page = await browser.newPage();
    await page.addInitScript(collectViolations);
    const response = await page.goto(`${service.baseUrl}/api/docs`);
    assert.match(response?.headers()['content-security-policy'] ?? '', /script-src 'self'/);
    await page.waitForSelector('.opblock-summary', { timeout: 20_000 }); // the operations, rendered
    await page.waitForLoadState('networkidle'); // and whatever it loads after them
    const violations = await page.evaluate(
      () => (window as unknown as ViolationsWindow).violations,
    );
    await page.close();
    assert.deepEqual(violations, []);
  });

  it('authorizes with a token and runs "Try it out" on the orders list, the policy blocking nothing', async () => {
    const { accessToken } = await signedInUser(service.baseUrl);
    const page = await browser.newPage();
    await page.addInitScript(collectViolations);
    await page.goto(`${service.baseUrl}/api/docs`);
    await page.click('.btn.authorize');
    await page.fill('.auth-container input', accessToken);
    await page.click('.auth-btn-wrapper .authorize');
    await page.click('.btn-done');
    const list = page.locator('#operations-orders-Orders_list');
    await list.locator('.opblock-summary').click();
    await list.locator('.try-out__btn').click();
    await list.locator('.execute').click();
    const status = list.locator('.live-responses-table tbody .response-col_status');
    await status.first().waitFor({ timeout: 10_000 });
    const answered = (await status.first().textContent())?.trim();
    const violations = await page.evaluate(
      () => (window as unknown as ViolationsWindow).violations,
    );
    await page.close();
    assert.equal(answered, '200');
    assert.deepEqual(violations, []);
  });

  it('refuses an injected inline script', async () => {
    const page = await browser.newPage();
    await page.goto(`${service.baseUrl}/api/docs`);
    const blocked = await page.evaluate(
      () =>
        new Promise<string>((resolve) => {
          document.addEventListener('securitypolicyviolation', (event) =>
            resolve(event.effectiveDirective),
          );
          const script = document.createElement('script');
          script.textContent = 'window.injected = true';
          document.body.append(script); // an inline script allowed runs here, at once
          if ('injected' in window) resolve('none: it ran');
          setTimeout(() => resolve('none reported within 5 s'), 5_000);
        }),
    );
    await page.close();
    assert.equal(blocked, 'script-src-elem');
  });
});
