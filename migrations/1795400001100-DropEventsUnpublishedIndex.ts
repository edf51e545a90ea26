import { MigrationInterface, QueryRunner } from 'typeorm';

/** Events marked published per statement by the down migration, each batch its own commit. */
const MARK_BATCH = 10_000;

/**
 * Release 2 of 2 of the relay's progress (see AddEventRelayProgress): the relay reads only past
 * `event_relay_progress.published_through` and no longer sets `published_at`, so the partial index
 * of unpublished events goes, and the retention keeps events by checkpoints of the progress.
 * Deploy it only over pods of release 1, whose relays move the progress too; the column stays
 * while such pods may still write it. Outside a transaction, so that the index is dropped and
 * built CONCURRENTLY: writers of `events` never wait for it.
 */
export class DropEventsUnpublishedIndex1795400001100 implements MigrationInterface {
  name = 'DropEventsUnpublishedIndex1795400001100';
  transaction = false;

  public async up(queryRunner: QueryRunner): Promise<void> {
    // With no published_at, the retention keeps events by the relay's progress at each moment.
    await queryRunner.query(
      `CREATE TABLE IF NOT EXISTS "event_relay_checkpoints" ("taken_at" TIMESTAMP WITH TIME ZONE NOT NULL, "published_through" bigint NOT NULL, CONSTRAINT "event_relay_checkpoints_pkey" PRIMARY KEY ("taken_at"))`,
    );
    // Release 1 moves the progress only past what it publishes itself: events a relay of the
    // release before published after the progress was seeded may still lie past it, marked.
    // This release would publish them again, so the progress first passes every marked event
    // up to the first one waiting.
    await queryRunner.query(
      `UPDATE event_relay_progress p
          SET published_through = greatest(p.published_through, coalesce(
                (SELECT min(position) - 1 FROM events
                  WHERE position > p.published_through AND published_at IS NULL),
                (SELECT last FROM event_positions)))`,
    );
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "events_unpublished_idx"`);
  }

  /**
   * Back to release 1: the events this release published are marked first, in batches by position
   * (each its own commit), so that the index comes back small and release 1's retention, which
   * goes by `published_at`, deletes them (a retention after now: the publish times are not kept);
   * the checkpoints go last, so that one stopped part-way leaves a schema this release still runs on.
   */
  public async down(queryRunner: QueryRunner): Promise<void> {
    const [range] = await queryRunner.query(
      `SELECT (SELECT min(position) FROM events) AS first, published_through AS last
         FROM event_relay_progress`,
    );
    const last = BigInt(range.last);
    for (let from = BigInt(range.first ?? last + 1n); from <= last; from += BigInt(MARK_BATCH)) {
      await queryRunner.query(
        `UPDATE events SET published_at = now()
          WHERE position >= $1 AND position < $2 AND position <= $3 AND published_at IS NULL`,
        [String(from), String(from + BigInt(MARK_BATCH)), String(last)],
      );
    }
    // An index a failed CONCURRENTLY build left invalid would stay so under IF NOT EXISTS.
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "events_unpublished_idx"`);
    await queryRunner.query(
      `CREATE INDEX CONCURRENTLY "events_unpublished_idx" ON "events" ("position") WHERE published_at IS NULL`,
    );
    await queryRunner.query(`DROP TABLE IF EXISTS "event_relay_checkpoints"`);
  }
}
