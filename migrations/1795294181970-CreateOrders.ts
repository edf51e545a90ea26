import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateOrders1795294181970 implements MigrationInterface {
  name = 'CreateOrders1795294181970';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "orders" ("id" uuid NOT NULL, "user_id" uuid NOT NULL, "status" text NOT NULL, "currency" character(3) NOT NULL, "total" bigint NOT NULL, "client_reference" text, "note" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "orders_total_check" CHECK ("total" >= 0), CONSTRAINT "orders_status_check" CHECK ("status" IN ('pending', 'cancelled')), CONSTRAINT "orders_pkey" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "orders_user_created_idx" ON "orders"  ("user_id", "created_at", "id") `,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "orders_user_client_reference_key" ON "orders"  ("user_id", "client_reference") `,
    );
    await queryRunner.query(
      `CREATE TABLE "order_items" ("order_id" uuid NOT NULL, "position" smallint NOT NULL, "sku" text NOT NULL, "quantity" integer NOT NULL, "unit_price" bigint NOT NULL, "line_total" bigint NOT NULL, CONSTRAINT "order_items_pkey" PRIMARY KEY ("order_id", "position"))`,
    );
    await queryRunner.query(
      `ALTER TABLE "orders" ADD CONSTRAINT "orders_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "order_items" ADD CONSTRAINT "order_items_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "order_items" DROP CONSTRAINT "order_items_order_id_fkey"`,
    );
    await queryRunner.query(`ALTER TABLE "orders" DROP CONSTRAINT "orders_user_id_fkey"`);
    await queryRunner.query(`DROP TABLE "order_items"`);
    await queryRunner.query(`DROP INDEX "public"."orders_user_client_reference_key"`);
    await queryRunner.query(`DROP INDEX "public"."orders_user_created_idx"`);
    await queryRunner.query(`DROP TABLE "orders"`);
  }
}
