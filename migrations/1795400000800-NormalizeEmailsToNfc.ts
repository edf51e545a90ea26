import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `email_normalized` is in Unicode's composed form (NFC) from this release on (normalizeEmail), so
 * rows written before in another form are brought to it, or a sign-in typed in NFC would no longer
 * find them. A row whose NFC form another user already holds keeps its own (two accounts already
 * exist for that address; neither is merged or dropped): `SELECT id, email FROM users WHERE
 * email_normalized IS NOT NFC NORMALIZED` lists them afterwards. Only a UTF8 database can
 * normalize, and only one can hold such text as text.
 */
export class NormalizeEmailsToNfc1795400000800 implements MigrationInterface {
  name = 'NormalizeEmailsToNfc1795400000800';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const [{ encoding }] = await queryRunner.query(
      `SELECT current_setting('server_encoding') AS encoding`,
    );
    if (encoding !== 'UTF8') return;
    // One row per NFC form (the oldest), and only where that form is free.
    await queryRunner.query(
      `UPDATE "users" u SET "email_normalized" = c.nfc
         FROM (SELECT DISTINCT ON (nfc) id, nfc
                 FROM (SELECT id, created_at, normalize("email_normalized", NFC) AS nfc
                         FROM "users" WHERE "email_normalized" IS NOT NFC NORMALIZED) n
                ORDER BY nfc, created_at, id) c
        WHERE u.id = c.id
          AND NOT EXISTS (SELECT 1 FROM "users" o WHERE o."email_normalized" = c.nfc)`,
    );
  }

  public async down(): Promise<void> {
    // Nothing to undo: the earlier release finds an NFC row as it found any other.
  }
}
