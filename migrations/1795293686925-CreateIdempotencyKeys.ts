import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateIdempotencyKeys1795293686925 implements MigrationInterface {
  name = 'CreateIdempotencyKeys1795293686925';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "idempotency_keys" ("caller" text NOT NULL, "method" text NOT NULL, "route" text NOT NULL, "key" text NOT NULL, "fingerprint" bytea NOT NULL, "response_status" smallint NOT NULL, "response_headers" jsonb NOT NULL, "response_body" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("caller", "method", "route", "key"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idempotency_keys_expires_at_idx" ON "idempotency_keys"  ("expires_at") `,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."idempotency_keys_expires_at_idx"`);
    await queryRunner.query(`DROP TABLE "idempotency_keys"`);
  }
}
