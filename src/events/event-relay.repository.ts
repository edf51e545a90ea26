import { Injectable } from '@nestjs/common';
import { run, statement, Statement } from '../database/statement';
import { Tx } from '../database/transactions';
import type { EventRow } from './events.repository';

/** How far the relay has published (EventRelayProgress): every event up to it is in JetStream. */
const PUBLISHED_THROUGH = '(SELECT published_through FROM event_relay_progress)';

/**
 * The oldest events NATS has not acknowledged, in commit order: those past the relay's progress.
 * Read by position, never "after the last id sent": an event gets its position only once
 * committed, so none is skipped.
 */
const UNPUBLISHED = statement(
  'EventRelayRepository.unpublished',
  `
   SELECT id, user_id AS "userId", type, subject, time, data, position
     FROM events
    WHERE position > ${PUBLISHED_THROUGH}
    ORDER BY position
    LIMIT :batch`,
);

/**
 * Moves the relay's progress to the last position NATS acknowledged: one small row per batch,
 * where marking each event wrote a new version of its row and an entry in every index of `events`.
 */
const MOVE_PUBLISHED_THROUGH = statement(
  'EventRelayRepository.movePublishedThrough',
  `
   UPDATE event_relay_progress
      SET published_through = greatest(published_through, :through::bigint)`,
);

/**
 * The outbox's backlog for /metrics, without counting rows: the positions past the relay's
 * progress (so a scrape costs the same whatever the backlog), the unnumbered and the pending. Its
 * age is the next event the relay publishes (the oldest numbered one waiting, give or take a late
 * commit) or the oldest not numbered. A position past the progress whose event is gone (its user
 * deleted) counts until the relay publishes a later one.
 */
const BACKLOG = statement(
  'EventRelayRepository.backlog',
  `
   SELECT ((SELECT last FROM event_positions) - p.published_through
           + (SELECT count(*) FROM events WHERE position IS NULL)
           + (SELECT count(*) FROM events_pending))::int AS count,
          coalesce(extract(epoch FROM now() - least(
            (SELECT time FROM events
              WHERE position > p.published_through ORDER BY position LIMIT 1),
            (SELECT min(time) FROM events WHERE position IS NULL),
            (SELECT min(time) FROM events_pending))), 0)::float8 AS "oldestAgeSeconds"
     FROM event_relay_progress p`,
);

/** The relay's SQL: what waits for NATS, its progress, and the backlog /metrics shows. */
@Injectable()
export class EventRelayRepository {
  static readonly statements: Statement[] = [UNPUBLISHED, MOVE_PUBLISHED_THROUGH, BACKLOG];

  unpublished(tx: Tx, batch: number): Promise<EventRow[]> {
    return run<EventRow>(tx, UNPUBLISHED, { batch });
  }

  /** NATS has acknowledged every event up to position `through`. */
  async movePublishedThrough(tx: Tx, through: string): Promise<void> {
    await run(tx, MOVE_PUBLISHED_THROUGH, { through });
  }

  async backlog(tx: Tx): Promise<EventBacklog> {
    const [row] = await run<EventBacklog>(tx, BACKLOG, {});
    return row;
  }
}

export interface EventBacklog {
  count: number;
  oldestAgeSeconds: number;
}
