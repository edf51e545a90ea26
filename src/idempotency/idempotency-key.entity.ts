import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One completed request per (caller, method, route, key). A row is only ever committed together
 * with the business rows of its request and the response it produced, so every visible row is
 * complete; a request in progress is an uncommitted row that concurrent duplicates wait on.
 */
@Entity({ name: 'idempotency_keys' })
@Index('idempotency_keys_expires_at_idx', ['expiresAt'])
export class IdempotencyKey {
  /** The token's user id, or `anonymous` on public endpoints. */
  @PrimaryColumn('text', { primaryKeyConstraintName: 'idempotency_keys_pkey' })
  caller: string;

  @PrimaryColumn('text', { primaryKeyConstraintName: 'idempotency_keys_pkey' })
  method: string;

  /** The route template, e.g. `/api/orders`. */
  @PrimaryColumn('text', { primaryKeyConstraintName: 'idempotency_keys_pkey' })
  route: string;

  @PrimaryColumn('text', { primaryKeyConstraintName: 'idempotency_keys_pkey' })
  key: string;

  /** HMAC-SHA256 of the canonical request. */
  @Column('bytea')
  fingerprint: Buffer;

  @Column('smallint', { name: 'response_status' })
  responseStatus: number;

  /** Location, ETag and Content-Type as first sent. */
  @Column('jsonb', { name: 'response_headers' })
  responseHeaders: Record<string, string>;

  /** The exact body bytes first sent, replayed byte for byte. */
  @Column('text', { name: 'response_body' })
  responseBody: string;

  @Column('timestamptz', { name: 'created_at' })
  createdAt: Date;

  @Column('timestamptz', { name: 'expires_at' })
  expiresAt: Date;
}
