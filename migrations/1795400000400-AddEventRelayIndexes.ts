import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the relay and the retention sweep read: the unpublished events in position order (small,
 * since published ones leave this partial index), and events by age.
 */
export class AddEventRelayIndexes1795400000400 implements MigrationInterface {
  name = 'AddEventRelayIndexes1795400000400';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "events_unpublished_idx" ON "events" ("position") WHERE published_at IS NULL`,
    );
    await queryRunner.query(`CREATE INDEX "events_time_idx" ON "events" ("time")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "events_time_idx"`);
    await queryRunner.query(`DROP INDEX "events_unpublished_idx"`);
  }
}
