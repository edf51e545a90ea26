import { createHmac, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppConfig } from './app-config';

/** JWT_SECRET, or outside production a secret generated once and kept under DATA_DIR. */
export async function resolveJwtSecret(
  config: Pick<AppConfig, 'jwtSecret' | 'dataDir'>,
): Promise<string> {
  if (config.jwtSecret) return config.jwtSecret;
  const file = join(config.dataDir, 'jwt-secret');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const secret = randomBytes(48).toString('base64url');
    await mkdir(config.dataDir, { recursive: true });
    await writeFile(file, secret, { mode: 0o600, flag: 'wx' }).catch(() => undefined);
    return (await readFile(file, 'utf8')).trim(); // another replica may have written it first
  }
}

/**
 * A key of its own for one use of the service secret (`purpose` names it and its version), so no
 * second secret must be managed and no key serves two uses.
 */
export function derivedKey(serviceSecret: string, purpose: string): Buffer {
  return createHmac('sha256', serviceSecret).update(purpose).digest();
}
