import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per user, the highest position of theirs the retention has deleted: a cursor of theirs below it
 * may have lost events, and is answered 410 rather than with a page that silently skips them. Per
 * user, so that another user's deleted events never expire an idle consumer's cursor.
 */
export class AddEventRetentionHorizon1795400000700 implements MigrationInterface {
  name = 'AddEventRetentionHorizon1795400000700';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "event_retention" ("user_id" uuid NOT NULL, "deleted_through" bigint NOT NULL, CONSTRAINT "event_retention_pkey" PRIMARY KEY ("user_id"))`,
    );
    await queryRunner.query(
      `ALTER TABLE "event_retention" ADD CONSTRAINT "event_retention_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    // What was deleted before this release left no mark: everything below the oldest event kept
    // (everything given a position, when none is kept) may be gone, for every user.
    await queryRunner.query(
      `INSERT INTO "event_retention" ("user_id", "deleted_through")
       SELECT u.id, f.floor
         FROM "users" u,
              (SELECT coalesce(min(position) - 1, (SELECT last FROM "event_positions")) AS floor
                 FROM "events") f
        WHERE f.floor > 0`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "event_retention"`);
  }
}
