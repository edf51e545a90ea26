import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The relay's progress as one position (release 1 of 2): every event up to `published_through` is
 * in JetStream. It replaces marking each event's `published_at`, an update of a column in an
 * index's predicate, never HOT: a new version of the event's row and an entry in every index of
 * `events`, once per event.
 * This release's relay still sets `published_at` too, and skips events it finds set, so it runs
 * beside relays of the release before (which read `published_at IS NULL` and move no progress).
 * Starts just before the first unpublished event, or at the last position given when none waits.
 */
export class AddEventRelayProgress1795400001000 implements MigrationInterface {
  name = 'AddEventRelayProgress1795400001000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "event_relay_progress" ("id" boolean NOT NULL DEFAULT true, "published_through" bigint NOT NULL, CONSTRAINT "event_relay_progress_pkey" PRIMARY KEY ("id"), CONSTRAINT "event_relay_progress_one_row" CHECK (id))`,
    );
    await queryRunner.query(
      `INSERT INTO "event_relay_progress" ("id", "published_through")
       SELECT true, coalesce(
                (SELECT min(position) - 1 FROM events WHERE published_at IS NULL AND position IS NOT NULL),
                (SELECT last FROM event_positions))`,
    );
  }

  /**
   * Back to the release before, which knows only `published_at`: the events the progress passed
   * are marked published, so that release does not publish them again.
   */
  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `UPDATE events SET published_at = now()
        WHERE published_at IS NULL
          AND position <= (SELECT published_through FROM event_relay_progress)`,
    );
    await queryRunner.query(`DROP TABLE "event_relay_progress"`);
  }
}
