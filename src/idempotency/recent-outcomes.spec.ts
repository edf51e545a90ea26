import { RecentOutcomes } from './recent-outcomes';
import { StoredOutcome } from './idempotency.repository';

const NOW = Date.parse('2026-11-21T12:00:00Z');

function stored(body: string, expiresInMs: number): StoredOutcome {
  return {
    fingerprint: Buffer.from(body),
    outcome: { status: 201, headers: {}, body },
    expiresAt: new Date(NOW + expiresInMs),
  };
}

describe('RecentOutcomes', () => {
  it('recalls a remembered answer while its key lives', () => {
    const recent = new RecentOutcomes(10);
    recent.remember('a', stored('A', 3_600_000));
    expect(recent.recall('a', NOW)?.outcome.body).toBe('A');
    expect(recent.recall('b', NOW)).toBeNull();
  });

  it('forgets an answer a minute before its key expires', () => {
    const recent = new RecentOutcomes(10);
    recent.remember('a', stored('A', 120_000));
    expect(recent.recall('a', NOW + 59_000)).not.toBeNull();
    expect(recent.recall('a', NOW + 61_000)).toBeNull();
    expect(recent.recall('a', NOW)).toBeNull(); // gone for good
  });

  it('keeps at most `capacity` answers, dropping the least recently stored', () => {
    const recent = new RecentOutcomes(2);
    recent.remember('a', stored('A', 3_600_000));
    recent.remember('b', stored('B', 3_600_000));
    recent.remember('a', stored('A', 3_600_000)); // a is now the newest
    recent.remember('c', stored('C', 3_600_000));
    expect(recent.recall('b', NOW)).toBeNull();
    expect(recent.recall('a', NOW)?.outcome.body).toBe('A');
    expect(recent.recall('c', NOW)?.outcome.body).toBe('C');
  });

  it('remembers nothing with capacity 0', () => {
    const recent = new RecentOutcomes(0);
    recent.remember('a', stored('A', 3_600_000));
    expect(recent.recall('a', NOW)).toBeNull();
  });
});
