import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateFiles1795294655322 implements MigrationInterface {
  name = 'CreateFiles1795294655322';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "files" ("id" uuid NOT NULL, "user_id" uuid NOT NULL, "blob_id" uuid NOT NULL, "storage" text NOT NULL, "filename" text NOT NULL, "content_type" text NOT NULL, "size" bigint NOT NULL, "sha256" character(64) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "files_pkey" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "files_blob_id_key" ON "files"  ("blob_id") `);
    await queryRunner.query(
      `CREATE INDEX "files_user_created_idx" ON "files"  ("user_id", "created_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "file_blobs" ("id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "file_blobs_pkey" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "file_blob_chunks" ("blob_id" uuid NOT NULL, "seq" integer NOT NULL, "data" bytea NOT NULL, CONSTRAINT "file_blob_chunks_pkey" PRIMARY KEY ("blob_id", "seq"))`,
    );
    await queryRunner.query(
      `ALTER TABLE "files" ADD CONSTRAINT "files_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "file_blob_chunks" ADD CONSTRAINT "file_blob_chunks_blob_id_fkey" FOREIGN KEY ("blob_id") REFERENCES "file_blobs"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "file_blob_chunks" DROP CONSTRAINT "file_blob_chunks_blob_id_fkey"`,
    );
    await queryRunner.query(`ALTER TABLE "files" DROP CONSTRAINT "files_user_id_fkey"`);
    await queryRunner.query(`DROP TABLE "file_blob_chunks"`);
    await queryRunner.query(`DROP TABLE "file_blobs"`);
    await queryRunner.query(`DROP INDEX "public"."files_user_created_idx"`);
    await queryRunner.query(`DROP INDEX "public"."files_blob_id_key"`);
    await queryRunner.query(`DROP TABLE "files"`);
  }
}
