import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DomainError } from '../http/problem';

/** What a link opens: the file's bytes (`content`) or its thumbnail. */
export type LinkTarget = 'content' | 'thumbnail';

const IV_BYTES = 12;
const TAG_BYTES = 16;
/** The expiry (seconds since the epoch, 8 bytes) and the owner's id (a UUID's 16 bytes). */
const SEALED_BYTES = 8 + 16;
const LINK_BYTES = IV_BYTES + SEALED_BYTES + TAG_BYTES;

/**
 * The `link` parameter of a file's URLs that open without a Bearer token (`<img src>`, a download
 * link, a URL handed to another service): its owner and expiry sealed with AES-256-GCM under a
 * key derived from the service secret, authenticated together with the file's id and what the
 * link serves, so one link opens one file's bytes (or its thumbnail) and nothing else. The owner
 * is encrypted, not merely signed: a shared link does not name the account it came from.
 *
 * Nothing is stored: a link works until it expires, the file is deleted, or JWT_SECRET changes.
 */
export class FileLinks {
  /** `key`: 32 bytes, derived from the service secret (FilesModule). */
  constructor(
    private readonly key: Buffer,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** `seconds` from now, in whole seconds: what a link records. */
  expiryIn(seconds: number): Date {
    return new Date((Math.floor(this.nowMs() / 1000) + seconds) * 1000);
  }

  seal(ownerId: string, fileId: string, target: LinkTarget, expiresAt: Date): string {
    const iv = randomBytes(IV_BYTES);
    const plain = Buffer.alloc(SEALED_BYTES);
    plain.writeBigUInt64BE(BigInt(Math.floor(expiresAt.getTime() / 1000)));
    Buffer.from(ownerId.replaceAll('-', ''), 'hex').copy(plain, 8);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv).setAAD(boundTo(fileId, target));
    const sealed = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString('base64url');
  }

  /**
   * The id of the user who made `link`, when it was made for this file's `target` and has not
   * expired; otherwise 403: altered, made for another file, under an earlier secret, or expired.
   */
  ownerOf(link: string, fileId: string, target: LinkTarget): string {
    const raw = Buffer.from(link, 'base64url');
    if (raw.length !== LINK_BYTES || raw.toString('base64url') !== link)
      throw new FileLinkInvalidError();
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES))
      .setAAD(boundTo(fileId, target))
      .setAuthTag(raw.subarray(LINK_BYTES - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([
        decipher.update(raw.subarray(IV_BYTES, -TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw new FileLinkInvalidError();
    }
    const expiresAt = new Date(Number(plain.readBigUInt64BE()) * 1000);
    if (expiresAt.getTime() <= this.nowMs()) throw new FileLinkExpiredError(expiresAt);
    return uuidOf(plain.subarray(8));
  }
}

/** The data a link is authenticated with, besides what it seals. */
const boundTo = (fileId: string, target: LinkTarget) => Buffer.from(`${target} ${fileId}`);

function uuidOf(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export class FileLinkInvalidError extends DomainError {
  constructor() {
    super(
      403,
      'file_link_invalid',
      'Invalid file link',
      'This link does not open this file: it was altered, made for another file or for its thumbnail rather than its bytes (or the reverse), or made before JWT_SECRET changed.',
    );
  }
}

export class FileLinkExpiredError extends DomainError {
  constructor(expiresAt: Date) {
    super(
      403,
      'file_link_expired',
      'File link expired',
      `This link expired at ${expiresAt.toISOString()}; its owner can make a new one (GET /api/files/{id}/links).`,
    );
  }
}
