import { MigrationInterface, QueryRunner } from 'typeorm';

const BATCH = 1_000;

/**
 * `email_normalized` is in Unicode's composed form (NFC) from this release on (normalizeEmail), so
 * rows written before in another form are brought to it, or a sign-in typed in NFC would no longer
 * find them. Node's own `normalize` does it, as the service does, whatever the database's encoding
 * and its Unicode version; only rows with a non-ASCII character are read (ASCII is NFC already).
 *
 * A replica of the release before, still serving during a rolling update, writes the old form: on
 * a UTF8 database a trigger brings every written row to NFC, so such a write is normalized too, or
 * is refused as a duplicate (409) by the unique index when its NFC form is taken. The table is
 * locked against writes while the trigger is made and the rows are normalized, so none slips in
 * between.
 *
 * A row whose NFC form another user already holds keeps its own (two accounts already exist for
 * that address; neither is merged or dropped, and the oldest non-NFC row wins a free form): that
 * account cannot sign in any more. docs/operations.md says how to find and settle them.
 */
export class NormalizeEmailsToNfc1795400000800 implements MigrationInterface {
  name = 'NormalizeEmailsToNfc1795400000800';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`LOCK TABLE "users" IN SHARE ROW EXCLUSIVE MODE`);
    const [{ encoding }] = await queryRunner.query(
      `SELECT current_setting('server_encoding') AS encoding`,
    );
    if (encoding === 'UTF8') await createNfcTrigger(queryRunner);
    const rows: { id: string; email_normalized: string }[] = await queryRunner.query(
      `SELECT id, email_normalized FROM "users"
        WHERE email_normalized ~ '[^\\x01-\\x7f]' ORDER BY created_at, id`,
    );
    const moves = await freeMoves(queryRunner, rows);
    for (let start = 0; start < moves.length; start += BATCH) {
      const batch = moves.slice(start, start + BATCH);
      await queryRunner.query(
        `UPDATE "users" u SET email_normalized = m.nfc
           FROM unnest($1::uuid[], $2::text[]) AS m(id, nfc) WHERE u.id = m.id`,
        [batch.map((move) => move.id), batch.map((move) => move.nfc)],
      );
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // The rows stay NFC: the release before finds them as it finds any other.
    await queryRunner.query(`DROP TRIGGER IF EXISTS "users_email_normalized_nfc" ON "users"`);
    await queryRunner.query(`DROP FUNCTION IF EXISTS "users_email_normalized_nfc"()`);
  }
}

/** The rows to bring to NFC: not NFC yet, the oldest for each form, and only where it is free. */
async function freeMoves(
  queryRunner: QueryRunner,
  rows: { id: string; email_normalized: string }[],
) {
  const oldestByForm = new Map<string, string>();
  for (const row of rows) {
    const nfc = row.email_normalized.normalize('NFC');
    if (nfc !== row.email_normalized && !oldestByForm.has(nfc)) oldestByForm.set(nfc, row.id);
  }
  const taken: { email_normalized: string }[] = await queryRunner.query(
    `SELECT email_normalized FROM "users" WHERE email_normalized = ANY ($1::text[])`,
    [[...oldestByForm.keys()]],
  );
  for (const { email_normalized } of taken) oldestByForm.delete(email_normalized);
  return [...oldestByForm].map(([nfc, id]) => ({ id, nfc }));
}

async function createNfcTrigger(queryRunner: QueryRunner) {
  await queryRunner.query(
    `CREATE FUNCTION "users_email_normalized_nfc"() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       NEW.email_normalized := normalize(NEW.email_normalized, NFC);
       RETURN NEW;
     END $$`,
  );
  await queryRunner.query(
    `CREATE TRIGGER "users_email_normalized_nfc"
       BEFORE INSERT OR UPDATE OF email_normalized ON "users"
       FOR EACH ROW EXECUTE FUNCTION "users_email_normalized_nfc"()`,
  );
}
