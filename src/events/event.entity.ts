import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';

/**
 * The outbox: one row per change a client can observe, written in the change's own statement or
 * transaction. `position` is given after commit, in commit order, by the one sequencer at work
 * (EventSequencer): the feed and the stream read by it, so that no reader ever skips a row that
 * committed late. `publishedAt`: when NATS JetStream acknowledged it.
 */
@Entity({ name: 'events' })
@Index('events_user_position_idx', ['userId', 'position'])
export class StoredEvent {
  /** The CloudEvent's id: a UUIDv7. */
  @PrimaryColumn('uuid', { primaryKeyConstraintName: 'events_pkey' })
  id: string;

  /** Whose event it is: only this user sees it in the feed and the stream. */
  @Column('uuid', { name: 'user_id' })
  userId: string;

  @ManyToOne('User', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'events_user_id_fkey' })
  user?: unknown;

  @Column('text')
  type: string;

  /** The changed resource's id. */
  @Column('uuid')
  subject: string;

  @Column('timestamptz')
  time: Date;

  /** The resource as the API returned it at that moment; `json` keeps its text as written. */
  @Column('json')
  data: unknown;

  @Index('events_position_key', { unique: true })
  @Column('bigint', { nullable: true })
  position: string | null;

  @Column('timestamptz', { name: 'published_at', nullable: true })
  publishedAt: Date | null;
}

/** The one row counting positions given so far (see EventsRepository.sequence). */
@Entity({ name: 'event_positions' })
export class EventPositions {
  @PrimaryColumn('boolean', { default: true, primaryKeyConstraintName: 'event_positions_pkey' })
  id: boolean;

  @Column('bigint')
  last: string;
}
