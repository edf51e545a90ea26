import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One shared rate limit's count for one client (sign-up and sign-in per IP, exports per user),
 * read and written by every replica. A row outlives its window and block only until the next
 * sweep (RateLimitSweeper).
 */
@Entity({ name: 'rate_limit_counters' })
export class RateLimitCounter {
  /** Which limit, and whose: `auth:default:<client IP or IPv6 /64>`, `order-exports:default:<user id>`. */
  @PrimaryColumn('text', { primaryKeyConstraintName: 'rate_limit_counters_pkey' })
  key: string;

  /** Requests counted in the current window. */
  @Column('integer')
  hits: number;

  @Column('timestamptz', { name: 'window_ends_at' })
  windowEndsAt: Date;

  /** Set once the limit was passed: every request until then is refused and not counted. */
  @Column('timestamptz', { name: 'blocked_until', nullable: true })
  blockedUntil: Date | null;
}
