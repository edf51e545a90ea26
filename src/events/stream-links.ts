import type { Caller } from '../auth/caller';
import type { SealedLinks } from '../auth/sealed-links';

/** What a stream link is authenticated with besides what it seals: it opens the stream only. */
const SCOPE = 'events stream';

/**
 * The links of event-stream URLs that open without a Bearer token, for the browser's EventSource,
 * which cannot send one. A link stands for the caller as the token it was made with does: until
 * that token's expiry, or sooner once it is older than ACCESS_TOKEN_TTL as set now (a shortened
 * setting ends the links out too). A stream opened with one ends then, as with the token.
 */
export class StreamLinks {
  /** `links`: under a key of their own (EventsModule); `ttlSeconds`: ACCESS_TOKEN_TTL. */
  constructor(
    private readonly links: SealedLinks,
    private readonly ttlSeconds: number,
  ) {}

  /** A link for `caller` (from a verified token), with the token's issue and expiry. */
  of(caller: Caller): { link: string; expiresAt: Date } {
    const { tokenIssuedAtMs: issuedAtMs, tokenExpiresAtMs: expiresAtMs } = caller;
    // The route takes a Bearer token only, and a verified token always gives both.
    if (issuedAtMs === undefined || expiresAtMs === undefined)
      throw new Error('a stream link is made for a caller with a verified token');
    const expiresAt = new Date(Math.floor(expiresAtMs / 1000) * 1000);
    const link = this.links.seal(caller.userId, SCOPE, expiresAt, new Date(issuedAtMs));
    return { link, expiresAt };
  }

  /** The caller a link stands for, until it expires; 403 when it is no stream link of ours. */
  callerOf(link: string): Caller {
    const grant = this.links.open(link, SCOPE, this.ttlSeconds);
    return {
      userId: grant.ownerId,
      tokenIssuedAtMs: grant.issuedAt.getTime(),
      tokenExpiresAtMs: grant.expiresAt.getTime(),
    };
  }
}
