import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The highest position the retention has deleted: a cursor below it may have lost events, and is
 * answered 410 rather than with a page that silently skips them. A table of its own, so that the
 * retention never waits on the sequencer's counter row, nor the sequencer on it.
 */
export class AddEventRetentionHorizon1795400000700 implements MigrationInterface {
  name = 'AddEventRetentionHorizon1795400000700';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "event_retention" ("id" boolean NOT NULL DEFAULT true, "deleted_through" bigint NOT NULL, CONSTRAINT "event_retention_pkey" PRIMARY KEY ("id"), CONSTRAINT "event_retention_one_row" CHECK (id))`,
    );
    // Events deleted before this release left no mark; what is gone below the oldest kept one was.
    await queryRunner.query(
      `INSERT INTO "event_retention" ("id", "deleted_through") SELECT true, coalesce(min(position) - 1, 0) FROM "events"`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "event_retention"`);
  }
}
