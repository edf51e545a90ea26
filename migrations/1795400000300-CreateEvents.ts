import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateEvents1795400000300 implements MigrationInterface {
  name = 'CreateEvents1795400000300';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "events" ("id" uuid NOT NULL, "user_id" uuid NOT NULL, "type" text NOT NULL, "subject" uuid NOT NULL, "time" TIMESTAMP WITH TIME ZONE NOT NULL, "data" json NOT NULL, "position" bigint, "published_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "events_pkey" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "events_position_key" ON "events" ("position") `);
    await queryRunner.query(
      `CREATE INDEX "events_user_position_idx" ON "events" ("user_id", "position") `,
    );
    await queryRunner.query(
      `CREATE INDEX "events_unpositioned_idx" ON "events" ("time", "id") WHERE position IS NULL`,
    );
    await queryRunner.query(
      `ALTER TABLE "events" ADD CONSTRAINT "events_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `CREATE TABLE "event_positions" ("id" boolean NOT NULL DEFAULT true, "last" bigint NOT NULL, CONSTRAINT "event_positions_pkey" PRIMARY KEY ("id"), CONSTRAINT "event_positions_one_row" CHECK (id))`,
    );
    await queryRunner.query(`INSERT INTO "event_positions" ("id", "last") VALUES (true, 0)`);
    // NOTIFY is delivered at commit, once per transaction and channel: the sequencer's wake-up.
    await queryRunner.query(
      `CREATE FUNCTION "events_written_notify"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('events_written', ''); RETURN NULL; END $$`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "events_written" AFTER INSERT ON "events" FOR EACH STATEMENT EXECUTE FUNCTION "events_written_notify"()`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "events_written" ON "events"`);
    await queryRunner.query(`DROP FUNCTION "events_written_notify"()`);
    await queryRunner.query(`DROP TABLE "event_positions"`);
    await queryRunner.query(`ALTER TABLE "events" DROP CONSTRAINT "events_user_id_fkey"`);
    await queryRunner.query(`DROP TABLE "events"`);
  }
}
