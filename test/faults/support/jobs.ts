import { Client } from 'pg';
import { holdInTransaction } from '../../support/blocking';
import { image } from '../../support/images';

/** One query on a connection of its own (the database may just have restarted). */
export async function queryOn<T>(databaseUrl: string, sql: string, values: unknown[] = []) {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(sql, values)).rows as T[];
  } finally {
    await client.end();
  }
}

const countOf = async (databaseUrl: string, sql: string) =>
  Number((await queryOn<{ n: string }>(databaseUrl, sql))[0].n);

/** The images' state and their blobs, as an operator would check them after a crash. */
export async function imageAudit(databaseUrl: string) {
  const [processing, ready, failed, blobs, orphans] = await Promise.all([
    countOf(databaseUrl, "SELECT count(*) AS n FROM files WHERE status = 'processing'"),
    countOf(databaseUrl, "SELECT count(*) AS n FROM files WHERE status = 'ready'"),
    countOf(databaseUrl, "SELECT count(*) AS n FROM files WHERE status = 'failed'"),
    countOf(databaseUrl, 'SELECT count(*) AS n FROM file_blobs'),
    countOf(
      databaseUrl,
      `SELECT count(*) AS n FROM file_blobs b
        WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.blob_id = b.id OR f.thumbnail_blob_id = b.id)`,
    ),
  ]);
  return { processing, ready, failed, blobs, orphans };
}

/** Jobs some runner holds right now: work in the middle of being done. */
export const lockedJobs = (databaseUrl: string) =>
  countOf(
    databaseUrl,
    'SELECT count(*) AS n FROM graphile_worker.jobs WHERE locked_by IS NOT NULL',
  );

/**
 * Keeps jobs on `fileIds` from finishing for as long as the test needs: an open transaction holds
 * the files' rows, so a job that has rendered and stored its thumbnail waits in the `UPDATE` that
 * marks its file ready, held by its runner, until `release`, until the database goes away under
 * it, or until `lock_timeout` (10 s) fails that attempt. `client` is the hold's own connection.
 */
export const holdFiles = (databaseUrl: string, fileIds: string[]) =>
  holdInTransaction(databaseUrl, 'SELECT 1 FROM files WHERE id = ANY($1::uuid[]) FOR UPDATE', [
    fileIds,
  ]);

/** Uploads `count` JPEGs of random pixels, which take the job a noticeable time each. */
export async function uploadImages(baseUrl: string, token: string, count: number, side = 1600) {
  const bytes = await image('jpeg', side, Math.round(side * 0.75), { noise: true });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const form = new FormData();
    form.append('file', new Blob([bytes]), `photo-${i}.jpg`);
    const response = await fetch(`${baseUrl}/api/files`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
      body: form,
    });
    if (response.status !== 201)
      throw new Error(`upload: ${response.status} ${await response.text()}`);
    ids.push(((await response.json()) as { id: string }).id);
  }
  return ids;
}
