import type { SealedLinks } from '../auth/sealed-links';

/** What a link opens: the file's bytes (`content`) or its thumbnail. */
export type LinkTarget = 'content' | 'thumbnail';

/**
 * The links of a file's URLs that open without a Bearer token (`<img src>`, a download link, a
 * URL handed to another service), each for one file's bytes or its thumbnail. A link works until
 * it expires, the file is deleted, or JWT_SECRET changes.
 */
export class FileLinks {
  /** `links`: under a key of their own, derived from the service secret (FilesModule). */
  constructor(private readonly links: SealedLinks) {}

  expiryIn(seconds: number): Date {
    return this.links.expiryIn(seconds);
  }

  seal(ownerId: string, fileId: string, target: LinkTarget, expiresAt: Date): string {
    return this.links.seal(ownerId, scopeOf(fileId, target), expiresAt);
  }

  /** The id of the user who made `link` for this file's `target`; 403 when it is not such a link. */
  ownerOf(link: string, fileId: string, target: LinkTarget): string {
    return this.links.open(link, scopeOf(fileId, target)).ownerId;
  }
}

const scopeOf = (fileId: string, target: LinkTarget) => `${target} ${fileId}`;
