import { createHmac } from 'node:crypto';

/** JSON with object keys sorted at every depth: key order and whitespace do not change it. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map(
        (key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`,
      );
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export interface FingerprintInput {
  method: string;
  path: string;
  body: unknown;
  /** What the body cannot carry, such as an upload's SHA-256. */
  extra?: string;
}

/**
 * An HMAC of the canonical request, so a stored fingerprint reveals nothing about the body
 * (sign-up bodies hold passwords) yet equal requests always match.
 */
export function fingerprint(
  secret: Buffer,
  { method, path, body, extra }: FingerprintInput,
): Buffer {
  return createHmac('sha256', secret)
    .update(`${method}\n${path}\n${canonicalJson(body)}\n${extra ?? ''}`)
    .digest();
}
