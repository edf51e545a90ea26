import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Events are written to `events_pending` and moved to `events` already numbered, rather than
 * written to `events` and numbered by an UPDATE (which rewrote each row and its indexes). Expand
 * only: the release before still writes unnumbered rows to `events` during the rollout, so
 * `position` stays nullable and `events_unpositioned_idx` stays for the sequencer to find them.
 */
export class AddPendingEvents1795400000600 implements MigrationInterface {
  name = 'AddPendingEvents1795400000600';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "events_pending" ("id" uuid NOT NULL, "user_id" uuid NOT NULL, "type" text NOT NULL, "subject" uuid NOT NULL, "time" TIMESTAMP WITH TIME ZONE NOT NULL, "data" json NOT NULL, CONSTRAINT "events_pending_pkey" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `ALTER TABLE "events_pending" ADD CONSTRAINT "events_pending_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    // The sequencer takes the oldest first; an index scan also steps over moved rows' dead entries
    // (marked dead once seen), where a scan of the table would read them until VACUUM.
    await queryRunner.query(
      `CREATE INDEX "events_pending_time_idx" ON "events_pending" ("time", "id") `,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // Rows still waiting go back to where the release before looks for them; the lock keeps a
    // row committed during the copy from being dropped with the table.
    await queryRunner.query(`LOCK TABLE "events_pending" IN ACCESS EXCLUSIVE MODE`);
    await queryRunner.query(
      `INSERT INTO "events" ("id", "user_id", "type", "subject", "time", "data") SELECT "id", "user_id", "type", "subject", "time", "data" FROM "events_pending"`,
    );
    await queryRunner.query(`DROP TABLE "events_pending"`);
  }
}
