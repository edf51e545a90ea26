import { existsSync } from 'node:fs';

/** Flags for a closed network: without the background ones Chromium keeps dialling Google's hosts. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Debian's Chromium (Playwright may not download a browser here): `.ci/run` installs it. A test
 * does not install it itself: test files may run side by side, and apt-get serves one at a time.
 */
export function chromiumExecutable(): string {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (existsSync(path)) return path;
  const remedy = process.env.CHROMIUM_PATH
    ? 'CHROMIUM_PATH names no file'
    : 'run "apt-get install -y --no-install-recommends chromium" as root, or set CHROMIUM_PATH';
  throw new Error(`Chromium is missing at ${path}: ${remedy}`);
}
