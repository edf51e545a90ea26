import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateOrderExports1795400000200 implements MigrationInterface {
  name = 'CreateOrderExports1795400000200';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "order_exports" ("id" uuid NOT NULL, "user_id" uuid NOT NULL, "status" text NOT NULL, "format" text NOT NULL, "filter_status" text, "created_from" TIMESTAMP WITH TIME ZONE, "created_to" TIMESTAMP WITH TIME ZONE, "row_count" integer, "file_id" uuid, "error_code" text, "error_detail" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "order_exports_format_check" CHECK ("format" IN ('csv')), CONSTRAINT "order_exports_status_check" CHECK ("status" IN ('queued', 'running', 'succeeded', 'failed')), CONSTRAINT "order_exports_pkey" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "order_exports_file_id_idx" ON "order_exports"  ("file_id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "order_exports_user_created_idx" ON "order_exports"  ("user_id", "created_at") `,
    );
    await queryRunner.query(
      `ALTER TABLE "order_exports" ADD CONSTRAINT "order_exports_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "order_exports" ADD CONSTRAINT "order_exports_file_id_fkey" FOREIGN KEY ("file_id") REFERENCES "files"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "order_exports" DROP CONSTRAINT "order_exports_file_id_fkey"`,
    );
    await queryRunner.query(
      `ALTER TABLE "order_exports" DROP CONSTRAINT "order_exports_user_id_fkey"`,
    );
    await queryRunner.query(`DROP INDEX "public"."order_exports_user_created_idx"`);
    await queryRunner.query(`DROP INDEX "public"."order_exports_file_id_idx"`);
    await queryRunner.query(`DROP TABLE "order_exports"`);
  }
}
