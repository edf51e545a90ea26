import { StoredOutcome } from './idempotency.repository';

/** Forget an answer this long before its key expires, so clock skew with the database cannot matter. */
const EXPIRY_MARGIN_MS = 60_000;

/**
 * The answers this process replayed lately, by key scope, until a little before their keys
 * expire: a key retried once is often retried again (a client looping on timeouts, a retry
 * storm), and this answers those retries without the database. Answers are not kept when first
 * stored, since most keys are never retried. A stored answer never changes while its key lives,
 * so a remembered one is always the database's answer. Bounded: the oldest entry goes first.
 */
export class RecentOutcomes {
  private readonly entries = new Map<string, StoredOutcome>();

  constructor(private readonly capacity: number) {}

  remember(scopeId: string, stored: StoredOutcome) {
    if (this.capacity === 0) return;
    this.entries.delete(scopeId); // re-inserted as the newest
    if (this.entries.size >= this.capacity)
      this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(scopeId, stored);
  }

  recall(scopeId: string, now = Date.now()): StoredOutcome | null {
    const stored = this.entries.get(scopeId);
    if (!stored) return null;
    if (stored.expiresAt.getTime() - EXPIRY_MARGIN_MS > now) return stored;
    this.entries.delete(scopeId);
    return null;
  }
}
