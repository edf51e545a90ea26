import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';

/** What an event is, numbered or not: its owner, and the CloudEvent's type, subject, time and data. */
abstract class EventColumns {
  /** Whose event it is: only this user sees it in the feed and the stream. */
  @Column('uuid', { name: 'user_id' })
  userId: string;

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
}

/**
 * The outbox: one row per change a client can observe, numbered. A change writes its event to
 * `events_pending` (PendingEvent) in its own statement or transaction; after commit the one
 * sequencer at work (EventSequencer) moves it here with its `position`, once committed: the feed
 * and the stream read by it, so that no reader ever skips a row that committed late.
 * A null `position` is a row the release before wrote here directly during a rollout; the
 * sequencer numbers those in place. What NATS JetStream has acknowledged is EventRelayProgress.
 */
@Entity({ name: 'events' })
@Index('events_user_position_idx', ['userId', 'position'])
export class StoredEvent extends EventColumns {
  /** The CloudEvent's id: a UUIDv7. */
  @PrimaryColumn('uuid', { primaryKeyConstraintName: 'events_pkey' })
  id: string;

  @ManyToOne('User', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'events_user_id_fkey' })
  user?: unknown;

  @Index('events_position_key', { unique: true })
  @Column('bigint', { nullable: true })
  position: string | null;

  /**
   * When NATS acknowledged it, as relays set it before their progress was one position; release 1
   * of that progress still writes it, so it stays until no such pod can run.
   */
  @Column('timestamptz', { name: 'published_at', nullable: true })
  publishedAt: Date | null;
}

/**
 * Events written and not numbered yet: StoredEvent's columns without a position, and only the
 * indexes the sequencer needs, so a change pays for two index entries here rather than the
 * numbered table's written twice (once without a position, once with it).
 */
@Entity({ name: 'events_pending' })
@Index('events_pending_time_idx', ['time', 'id'])
export class PendingEvent extends EventColumns {
  @PrimaryColumn('uuid', { primaryKeyConstraintName: 'events_pending_pkey' })
  id: string;

  @ManyToOne('User', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'events_pending_user_id_fkey' })
  user?: unknown;
}

/** The one row counting positions given so far (see EventsRepository.sequence). */
@Entity({ name: 'event_positions' })
export class EventPositions {
  @PrimaryColumn('boolean', { default: true, primaryKeyConstraintName: 'event_positions_pkey' })
  id: boolean;

  @Column('bigint')
  last: string;
}

/** How far the relay has published: every event up to this position is in JetStream (EventRelay). */
@Entity({ name: 'event_relay_progress' })
export class EventRelayProgress {
  @PrimaryColumn('boolean', {
    default: true,
    primaryKeyConstraintName: 'event_relay_progress_pkey',
  })
  id: boolean;

  @Column('bigint', { name: 'published_through' })
  publishedThrough: string;
}

/**
 * How far the relay had published at a moment (EventsRepository.checkpointPublished): what the
 * retention keeps events by, EVENTS_RETENTION after they were published.
 */
@Entity({ name: 'event_relay_checkpoints' })
export class EventRelayCheckpoint {
  @PrimaryColumn('timestamptz', {
    name: 'taken_at',
    primaryKeyConstraintName: 'event_relay_checkpoints_pkey',
  })
  takenAt: Date;

  @Column('bigint', { name: 'published_through' })
  publishedThrough: string;
}

/** Per user, the highest position of theirs the retention has deleted (EventsRepository.deleteExpired). */
@Entity({ name: 'event_retention' })
export class EventRetentionHorizon {
  @PrimaryColumn('uuid', { name: 'user_id', primaryKeyConstraintName: 'event_retention_pkey' })
  userId: string;

  @Column('bigint', { name: 'deleted_through' })
  deletedThrough: string;

  @ManyToOne('User', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'event_retention_user_id_fkey' })
  user?: unknown;
}
