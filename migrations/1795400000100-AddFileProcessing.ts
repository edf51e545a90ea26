import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddFileProcessing1795400000100 implements MigrationInterface {
  name = 'AddFileProcessing1795400000100';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "files" ADD "status" text NOT NULL DEFAULT 'ready'`);
    await queryRunner.query(`ALTER TABLE "files" ADD "width" integer`);
    await queryRunner.query(`ALTER TABLE "files" ADD "height" integer`);
    await queryRunner.query(`ALTER TABLE "files" ADD "thumbnail_blob_id" uuid`);
    await queryRunner.query(`ALTER TABLE "files" ADD "thumbnail_size" integer`);
    await queryRunner.query(`ALTER TABLE "files" ADD "error_code" text`);
    await queryRunner.query(`ALTER TABLE "files" ADD "error_detail" text`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "files_thumbnail_blob_id_key" ON "files" ("thumbnail_blob_id") `,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."files_thumbnail_blob_id_key"`);
    for (const column of [
      'error_detail',
      'error_code',
      'thumbnail_size',
      'thumbnail_blob_id',
      'height',
      'width',
      'status',
    ])
      await queryRunner.query(`ALTER TABLE "files" DROP COLUMN "${column}"`);
  }
}
