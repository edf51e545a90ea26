import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startReadyService } from './service-process';

/** bench/peer: the stack teams build instead, a package of its own. */
export const PEER_ROOT = join(__dirname, '..', '..', 'bench', 'peer');
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const newest = (dir: string): number =>
  Math.max(...readdirSync(dir).map((name) => statSync(join(dir, name)).mtimeMs));

/** Installs bench/peer (`npm ci`, about 20 s) when it has no node_modules, and builds it when stale. */
export function ensurePeerBuilt() {
  const run = (...args: string[]) =>
    execFileSync('npm', args, {
      cwd: PEER_ROOT,
      stdio: 'pipe',
      env: { ...process.env, NPM_CONFIG_AUDIT: 'false', NPM_CONFIG_FUND: 'false' },
    });
  if (!existsSync(join(PEER_ROOT, 'node_modules'))) run('ci');
  const main = join(PEER_ROOT, 'dist', 'main.js');
  if (!existsSync(main) || statSync(main).mtimeMs < newest(join(PEER_ROOT, 'src')))
    run('run', 'build');
}

/** A Redis key prefix of a run's own, so runs never see each other's idempotency keys. */
export const peerPrefix = (run: string) =>
  `order-service-peer-${run}-${randomBytes(4).toString('hex')}`;

/** The peer on `databaseUrl` (its own `peer_` tables) with its keys under `prefix`, once ready. */
export function startReadyPeer(
  databaseUrl: string,
  prefix: string,
  env: Record<string, string> = {},
) {
  return startReadyService(databaseUrl, { REDIS_URL, IDEMPOTENCY_PREFIX: prefix, ...env }, 'peer');
}
