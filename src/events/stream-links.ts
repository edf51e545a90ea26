import type { Caller } from '../auth/caller';
import type { SealedLinks } from '../auth/sealed-links';

/** What a stream link is authenticated with besides what it seals: it opens the stream only. */
const SCOPE = 'events stream';

/**
 * The links of event-stream URLs that open without a Bearer token, for the browser's EventSource,
 * which cannot send one: a link stands for the caller until the token it was made with expires,
 * and a stream opened with it ends then, as one opened with that token would.
 */
export class StreamLinks {
  /** `links`: under a key of their own, derived from the service secret (EventsModule). */
  constructor(private readonly links: SealedLinks) {}

  /** A link for `caller`, expiring with the token it came with (whole seconds, never later). */
  of(caller: Caller, defaultTtlSeconds: number): { link: string; expiresAt: Date } {
    const expiresAt =
      caller.tokenExpiresAtMs === undefined
        ? this.links.expiryIn(defaultTtlSeconds)
        : new Date(Math.floor(caller.tokenExpiresAtMs / 1000) * 1000);
    return { link: this.links.seal(caller.userId, SCOPE, expiresAt), expiresAt };
  }

  /** The caller a link stands for, until it expires; 403 when it is no stream link of ours. */
  callerOf(link: string): Caller {
    const { ownerId, expiresAt } = this.links.open(link, SCOPE);
    return { userId: ownerId, tokenExpiresAtMs: expiresAt.getTime() };
  }
}
