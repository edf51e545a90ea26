import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateJobRunnerHeartbeats1795400000000 implements MigrationInterface {
  name = 'CreateJobRunnerHeartbeats1795400000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "job_runner_heartbeats" ("runner_id" text NOT NULL, "seen_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "job_runner_heartbeats_pkey" PRIMARY KEY ("runner_id"))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "job_runner_heartbeats"`);
  }
}
