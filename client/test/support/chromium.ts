import { execFileSync } from 'node:child_process';
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
 * Debian's Chromium (Playwright may not download a browser here). Installed with apt-get when
 * missing and running as root, as on CI; otherwise the test stops with one line saying what to do.
 */
export function chromiumExecutable(): string {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (existsSync(path)) return path;
  if (process.getuid?.() !== 0) {
    throw new Error(
      `Chromium is missing at ${path}: run "apt-get install -y chromium" as root, or set CHROMIUM_PATH`,
    );
  }
  console.error(`# ${path} is missing: installing Debian's chromium with apt-get`);
  const apt = (args: string[]) =>
    execFileSync('apt-get', args, {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  apt(['update']);
  apt(['install', '-y', '--no-install-recommends', 'chromium']);
  if (!existsSync(path))
    throw new Error(`apt-get installed chromium, but ${path} is still missing`);
  return path;
}
