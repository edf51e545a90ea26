import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A NOTIFY makes its transaction take a database-wide lock from its commit's start to its end, so
 * every create that wrote an event committed one after the other (no group commit): creates fell
 * to a third of their rate at 50 connections. The sequencer polls instead (a cheap probe).
 */
export class DropEventsWrittenTrigger1795400000500 implements MigrationInterface {
  name = 'DropEventsWrittenTrigger1795400000500';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "events_written" ON "events"`);
    await queryRunner.query(`DROP FUNCTION "events_written_notify"()`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE FUNCTION "events_written_notify"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('events_written', ''); RETURN NULL; END $$`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "events_written" AFTER INSERT ON "events" FOR EACH STATEMENT EXECUTE FUNCTION "events_written_notify"()`,
    );
  }
}
