import { Injectable } from '@nestjs/common';
import { run, statement, Statement } from '../database/statement';
import { Tx } from '../database/transactions';
import { newId } from '../database/uuid';
import { NewEvent } from './outbox';

/**
 * A change's event inside its transaction (one not made by a create statement), to be numbered.
 * `time` is when the event is written (`clock_timestamp()`), not when its transaction began
 * (`now()`): a change waits for the lock of an earlier change to the same resource before it
 * writes its event, so its time, and its position, come after the earlier one's even when its
 * transaction began first.
 */
const APPEND = statement(
  'EventsRepository.append',
  `
   INSERT INTO events_pending (id, user_id, type, subject, time, data)
   VALUES (:id::uuid, :owner::uuid, :type::text, :subject::uuid, clock_timestamp(), :data::json)`,
);

/**
 * Gives committed events their positions, in the order they were written (`time`, then id), one
 * batch per call: a pending event moves to `events` numbered (one write of the row there, not an
 * insert and then an update), and a row the release before wrote to `events` during a rollout is
 * numbered in place. The advisory lock keeps a second sequencer from doing the same work; the
 * counter row, the DELETE and `position IS NULL` keep positions increasing and given once even if
 * two ever ran. Returns how many it numbered (no row when none), and announces the last position
 * and whose events they were on `events_positioned` at commit, for the streams of every replica.
 */
const SEQUENCE = statement(
  'EventsRepository.sequence',
  `
   WITH lock AS MATERIALIZED (
     SELECT pg_try_advisory_xact_lock(:lockKey::bigint) AS locked),
   oldest AS MATERIALIZED (
     SELECT id, moves, row_number() OVER (ORDER BY time, id) AS n
       FROM ((SELECT id, time, true AS moves FROM events_pending
               WHERE (SELECT locked FROM lock)
               ORDER BY time, id LIMIT :batch)
             UNION ALL
             (SELECT id, time, false FROM events
               WHERE position IS NULL AND (SELECT locked FROM lock)
               ORDER BY time, id LIMIT :batch)
             ORDER BY time, id LIMIT :batch) waiting),
   counted AS (
     UPDATE event_positions SET last = last + (SELECT count(*) FROM oldest)
      WHERE EXISTS (SELECT 1 FROM oldest)
     RETURNING last - (SELECT count(*) FROM oldest) AS base),
   moved AS (
     DELETE FROM events_pending p USING oldest
      WHERE p.id = oldest.id AND oldest.moves AND EXISTS (SELECT FROM counted)
     RETURNING p.id, p.user_id, p.type, p.subject, p.time, p.data),
   inserted AS (
     INSERT INTO events (id, user_id, type, subject, time, data, position)
     SELECT m.id, m.user_id, m.type, m.subject, m.time, m.data, counted.base + oldest.n
       FROM moved m JOIN oldest ON oldest.id = m.id, counted
     RETURNING position, user_id),
   numbered_in_place AS (
     UPDATE events e SET position = counted.base + oldest.n
       FROM oldest, counted
      WHERE e.id = oldest.id AND NOT oldest.moves AND e.position IS NULL
     RETURNING e.position, e.user_id)
   SELECT s.numbered
     FROM (SELECT count(*)::int AS numbered, max(position) AS last, array_agg(DISTINCT user_id) AS users
             FROM (SELECT * FROM inserted UNION ALL SELECT * FROM numbered_in_place) positioned) s,
          LATERAL (SELECT pg_notify('events_positioned', json_build_object('last', s.last, 'users', s.users)::text)
                    WHERE s.last IS NOT NULL) announced`,
);

/**
 * Whether any committed event waits for its position: the sequencer's cheap poll of two indexes.
 * The ORDER BY ... LIMIT keeps the probe on the index: a scan of `events_pending` itself would read
 * every moved row's dead tuple until VACUUM.
 */
const ANY_UNSEQUENCED = statement(
  'EventsRepository.anyUnsequenced',
  `
   SELECT EXISTS (SELECT FROM (SELECT FROM events_pending ORDER BY time, id LIMIT 1) oldest)
       OR EXISTS (SELECT 1 FROM events WHERE position IS NULL) AS pending`,
);

/** How long the oldest event without a position has waited for one (0 when none): both indexes' first entry. */
const OLDEST_UNSEQUENCED = statement(
  'EventsRepository.oldestUnsequencedAge',
  `
   SELECT coalesce(extract(epoch FROM now() - least(
            (SELECT min(time) FROM events_pending),
            (SELECT min(time) FROM events WHERE position IS NULL))), 0)::float8 AS "ageSeconds"`,
);

/** The owner's retention horizon (RetentionHorizon): 0 while none of their events was deleted. */
const OWNER_HORIZON =
  '(SELECT coalesce(max(deleted_through), 0) FROM event_retention WHERE user_id = :userId)';

/** The last position given to any event so far: no cursor the API gives is past it. */
const NUMBERED = '(SELECT last FROM event_positions)';

/**
 * The owner's events after a cursor's position and after their retention horizon, oldest first,
 * and with them the horizon and the last position numbered (one row of nulls when there is no
 * event): one snapshot, so no event the page skips was deleted without the horizon showing it.
 */
const RETAINED_PAGE_OWNED = statement(
  'EventsRepository.retainedPageOwned',
  `
   SELECT h.deleted_through AS "deletedThrough", h.numbered, e.*
     FROM (SELECT ${OWNER_HORIZON} AS deleted_through, ${NUMBERED} AS numbered) h
     LEFT JOIN LATERAL (
       SELECT id, type, subject, time, data, position
         FROM events
        WHERE user_id = :userId AND position > greatest(:after::bigint, h.deleted_through)
        ORDER BY position
        LIMIT :limit) e ON true
    ORDER BY e.position`,
);

/** The retention's horizon in time: what was written, or published, before it may go. */
const RETENTION_CUTOFF = `now() - :retentionMs::bigint * interval '1 millisecond'`;

/**
 * Notes how far the relay has published at this moment, for the retention: an event at or before
 * a checkpoint older than the retention was published that long ago (the relay moves its progress
 * only once NATS has acknowledged). At most one every 30 s, whatever the sweep's batches; keeps
 * the newest checkpoint past the retention and those after it.
 */
const CHECKPOINT_PUBLISHED = statement(
  'EventsRepository.checkpointPublished',
  `
   WITH pruned AS (
     DELETE FROM event_relay_checkpoints
      WHERE taken_at < (SELECT max(taken_at) FROM event_relay_checkpoints
                         WHERE taken_at <= ${RETENTION_CUTOFF}))
   INSERT INTO event_relay_checkpoints (taken_at, published_through)
   SELECT clock_timestamp(), published_through FROM event_relay_progress
    WHERE NOT EXISTS (SELECT FROM event_relay_checkpoints
                       WHERE taken_at > clock_timestamp() - interval '30 seconds')`,
);

/**
 * Deletes up to `batch` events older than the retention, published that long ago when they are
 * published at all (`requirePublished`: NATS is configured): at or before the progress of a
 * checkpoint that old (see CHECKPOINT_PUBLISHED), or marked so by a relay before the progress. An
 * unpublished event is never deleted while it waits for NATS. Each user's highest position deleted
 * becomes their horizon. Oldest first, in the order of `time`'s index, so the index is the plan
 * whatever the statistics say (as IdempotencyRepository.deleteExpired).
 */
const DELETE_EXPIRED = statement(
  'EventsRepository.deleteExpired',
  `
   WITH cutoff AS (SELECT ${RETENTION_CUTOFF} AS at),
   deleted AS (
     DELETE FROM events WHERE ctid = ANY (ARRAY(
       SELECT ctid FROM events, cutoff
        WHERE time < cutoff.at AND position IS NOT NULL
          AND (NOT :requirePublished::boolean OR published_at < cutoff.at
               OR position <= (SELECT max(published_through) FROM event_relay_checkpoints
                                WHERE taken_at <= cutoff.at))
        ORDER BY time LIMIT :batch FOR UPDATE SKIP LOCKED))
     RETURNING user_id, position),
   horizon AS (
     INSERT INTO event_retention AS r (user_id, deleted_through)
     SELECT user_id, max(position) FROM deleted GROUP BY user_id
     ON CONFLICT (user_id) DO UPDATE
       SET deleted_through = greatest(r.deleted_through, EXCLUDED.deleted_through))
   SELECT count(*)::int AS deleted FROM deleted`,
);

/** The owner's last positioned event (0: none), the retention's horizon and the last numbered. */
const LAST_POSITION_OWNED = statement(
  'EventsRepository.lastPositionOwned',
  `
   SELECT coalesce(max(position), 0) AS last,
          ${OWNER_HORIZON} AS "deletedThrough",
          ${NUMBERED} AS numbered
     FROM events
    WHERE user_id = :userId`,
);

export interface EventRow {
  id: string;
  /** Whose event it is; read only where it is sent on (the relay's NATS header). */
  userId?: string;
  type: string;
  subject: string;
  time: Date;
  data: unknown;
  position: string;
}

/** All SQL about events: the outbox, its sequencing, the feed and the stream. */
@Injectable()
export class EventsRepository {
  static readonly statements: Statement[] = [
    APPEND,
    SEQUENCE,
    ANY_UNSEQUENCED,
    OLDEST_UNSEQUENCED,
    RETAINED_PAGE_OWNED,
    LAST_POSITION_OWNED,
    CHECKPOINT_PUBLISHED,
    DELETE_EXPIRED,
  ];

  /** Writes `event` in `tx`: it commits with the change, or neither does. */
  async append(tx: Tx, event: NewEvent): Promise<void> {
    await run(tx, APPEND, { id: newId(), ...event });
  }

  /** How many events it numbered: 0 when none waited (or another sequencer is at it). */
  async sequence(tx: Tx, lockKey: number, batch: number): Promise<number> {
    const [row] = await run<{ numbered: number }>(tx, SEQUENCE, { lockKey, batch });
    return row?.numbered ?? 0;
  }

  async anyUnsequenced(tx: Tx): Promise<boolean> {
    const [{ pending }] = await run<{ pending: boolean }>(tx, ANY_UNSEQUENCED, {});
    return pending;
  }

  async oldestUnsequencedAge(tx: Tx): Promise<number> {
    const [{ ageSeconds }] = await run<{ ageSeconds: number }>(tx, OLDEST_UNSEQUENCED, {});
    return ageSeconds;
  }

  /** A page for the feed: rows past the horizon only, the horizon and the last position numbered. */
  async retainedPageOwned(tx: Tx, userId: string, after: string, limit: number) {
    const rows = await run<EventRow & RetentionHorizon & Numbered>(tx, RETAINED_PAGE_OWNED, {
      userId,
      after,
      limit,
    });
    const [{ deletedThrough, numbered }] = rows;
    return { rows: rows.filter((row) => row.id !== null), deletedThrough, numbered };
  }

  lastPositionOwned(
    tx: Tx,
    userId: string,
  ): Promise<{ last: string } & RetentionHorizon & Numbered> {
    return run<{ last: string } & RetentionHorizon & Numbered>(tx, LAST_POSITION_OWNED, {
      userId,
    }).then(([row]) => row);
  }

  async checkpointPublished(tx: Tx, retention: RetentionRule): Promise<void> {
    await run(tx, CHECKPOINT_PUBLISHED, { retentionMs: retention.retentionMs });
  }

  /** How many events went (at most `batch`). */
  async deleteExpired(tx: Tx, retention: RetentionRule, batch: number): Promise<number> {
    const [{ deleted }] = await run<{ deleted: number }>(tx, DELETE_EXPIRED, {
      ...retention,
      batch,
    });
    return deleted;
  }
}

/** The highest position of a user's the retention has deleted: a cursor below it may have lost events. */
export interface RetentionHorizon {
  deletedThrough: string;
}

/** The last position given to any event (`event_positions.last`). */
export interface Numbered {
  numbered: string;
}

export interface RetentionRule {
  retentionMs: number;
  /** Keep every event NATS has not acknowledged (true when NATS is configured). */
  requirePublished: boolean;
}
