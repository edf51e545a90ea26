import { ApiTimestamp } from '../../http/openapi.decorators';
import { OpaqueQueryText, QueryInteger } from '../../http/query-parameters';

export const DEFAULT_LINK_SECONDS = 60 * 60;
/** A week: a link is a bearer credential for the file that cannot be revoked but by deleting it. */
export const MAX_LINK_SECONDS = 7 * 24 * 60 * 60;

/** How long the links are to work. */
export class FileLinksQuery {
  /** Seconds from now, at most a week. */
  @QueryInteger({ default: DEFAULT_LINK_SECONDS, minimum: 60, maximum: MAX_LINK_SECONDS })
  expiresIn: number = DEFAULT_LINK_SECONDS;
}

/**
 * URLs of a file's bytes and thumbnail that open without a token until `expiresAt`, for
 * `<img src>`, a download link, or handing to another service. Anyone holding one can read the
 * file until then, or until it is deleted.
 */
export class FileLinksResponse {
  /** The bytes, as the file's `url` serves them (ranges and conditional requests too). */
  url: string;
  /** The thumbnail, when the file has one now; else null. */
  thumbnailUrl: string | null;
  /** When both stop working (whole seconds). */
  @ApiTimestamp()
  expiresAt: string;
}

/** The `link` a file's URL carries when it opens without a token. */
export class FileLinkQuery {
  /** From `GET /api/files/{id}/links`; with it, no Authorization is needed (any sent is not used). */
  @OpaqueQueryText()
  link?: string;
}
