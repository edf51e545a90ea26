import { hash } from 'node:crypto';

/** A strong validator of a JSON representation: equal bodies, equal tags. */
export function etagOf(representation: unknown): string {
  return etagOfJson(JSON.stringify(representation));
}

/** The same tag from the representation already serialized (what `etagOf` would serialize). */
export function etagOfJson(json: string): string {
  const digest = hash('sha256', json, 'base64url'); // one-shot: no Hash object per answer
  return `"${digest.slice(0, 32)}"`;
}

function listedTags(header: string): string[] {
  return header
    .split(',')
    .map((tag) => tag.trim())
    .filter(Boolean);
}

/** If-None-Match uses the weak comparison (RFC 9110 §13.1.2). */
export function noneMatchHits(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const opaque = etag.replace(/^W\//, '');
  return listedTags(ifNoneMatch).some((tag) => tag === '*' || tag.replace(/^W\//, '') === opaque);
}

/** If-Match uses the strong comparison (RFC 9110 §13.1.1): weak tags never match. */
export function matchHits(ifMatch: string, etag: string | null): boolean {
  if (etag === null) return false;
  return listedTags(ifMatch).some((tag) => tag === '*' || tag === etag);
}
