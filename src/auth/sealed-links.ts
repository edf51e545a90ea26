import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { isUuid } from '../database/uuid';
import { DomainError } from '../http/problem';

const IV_BYTES = 12;
const TAG_BYTES = 16;
/**
 * When the link's grant began and when it ends (seconds since the epoch, 8 bytes each), and the
 * owner's id (a UUID's 16 bytes).
 */
const SEALED_BYTES = 8 + 8 + 16;
const LINK_BYTES = IV_BYTES + SEALED_BYTES + TAG_BYTES;

/** Whom a link stands for, from when (the grant it carries on) and until when. */
export interface LinkGrant {
  ownerId: string;
  issuedAt: Date;
  expiresAt: Date;
}

/**
 * The `link` parameter of URLs that open without a Bearer token, for what cannot send one
 * (`<img src>`, a download link, the browser's EventSource): its owner, when its grant began and
 * its expiry sealed with AES-256-GCM, authenticated together with its `scope` (what it opens: a
 * file's bytes, the event stream), so a link opens that and nothing else. The owner is encrypted,
 * not merely signed: a shared link does not name the account it came from.
 *
 * Nothing is stored: a link works until it expires, what it opens is gone, or the key changes.
 */
export class SealedLinks {
  /** `key`: 32 bytes, derived from the service secret for one kind of link. */
  constructor(
    private readonly key: Buffer,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** `seconds` from now, in whole seconds: what a link records. */
  expiryIn(seconds: number): Date {
    return new Date((Math.floor(this.nowMs() / 1000) + seconds) * 1000);
  }

  /** `issuedAt`: when the grant began, by default now (a stream link's is its token's `iat`). */
  seal(ownerId: string, scope: string, expiresAt: Date, issuedAt = new Date(this.nowMs())): string {
    if (!isUuid(ownerId)) throw new Error(`a link's owner must be a UUID, not ${ownerId}`);
    const iv = randomBytes(IV_BYTES);
    const plain = Buffer.alloc(SEALED_BYTES);
    plain.writeBigUInt64BE(BigInt(Math.floor(issuedAt.getTime() / 1000)));
    plain.writeBigUInt64BE(BigInt(Math.floor(expiresAt.getTime() / 1000)), 8);
    Buffer.from(ownerId.replaceAll('-', ''), 'hex').copy(plain, 16);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv).setAAD(Buffer.from(scope));
    const sealed = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString('base64url');
  }

  /**
   * Whom `link` stands for, when it was made for `scope` and has not expired (nor, given
   * `maxAgeSeconds`, outlived that from its `issuedAt`); otherwise 403: altered, made for
   * something else, under another key, or expired.
   */
  open(link: string, scope: string, maxAgeSeconds = Infinity): LinkGrant {
    const raw = Buffer.from(link, 'base64url');
    if (raw.length !== LINK_BYTES || raw.toString('base64url') !== link)
      throw new LinkInvalidError();
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES))
      .setAAD(Buffer.from(scope))
      .setAuthTag(raw.subarray(LINK_BYTES - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([
        decipher.update(raw.subarray(IV_BYTES, -TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw new LinkInvalidError();
    }
    const issuedAtMs = Number(plain.readBigUInt64BE()) * 1000;
    const sealedExpiryMs = Number(plain.readBigUInt64BE(8)) * 1000;
    const expiresAt = new Date(Math.min(sealedExpiryMs, issuedAtMs + maxAgeSeconds * 1000));
    if (expiresAt.getTime() <= this.nowMs()) throw new LinkExpiredError(expiresAt);
    return { ownerId: uuidOf(plain.subarray(16)), issuedAt: new Date(issuedAtMs), expiresAt };
  }
}

function uuidOf(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export class LinkInvalidError extends DomainError {
  constructor() {
    super(
      403,
      'link_invalid',
      'Invalid link',
      "This link does not open this: it was altered, made for something else (another file, the other of a file's bytes and thumbnail, or the event stream), or made before JWT_SECRET changed.",
    );
  }
}

export class LinkExpiredError extends DomainError {
  constructor(expiresAt: Date) {
    super(
      403,
      'link_expired',
      'Link expired',
      `This link expired at ${expiresAt.toISOString()}; its owner can make a new one.`,
    );
  }
}
