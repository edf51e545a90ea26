import { Client } from 'pg';
import { Transactions } from '../../src/database/transactions';
import { openDatabase } from '../../src/database/open-database';
import { ENTITIES } from '../../src/entities';
import { PostgresBlobStorage } from '../../src/files/storage/postgres-blob-storage';
import { insertOrders } from '../support/bulk-orders';
import { startReadyService } from '../support/service-process';
import { createDatabaseOn, TestDatabase } from '../support/test-database';
import { waitFor } from '../support/wait';
import { signUp } from './support/orders-client';
import { report } from './support/report';

type Service = Awaited<ReturnType<typeof startReadyService>>;

const ORDERS = 200_000;
const KILLS = 5;
/** A dead runner's job is handed back within ~20 s (src/jobs/stranded-jobs.ts); the rest is the run. */
const RECOVERY_MS = 60_000;

const one = async <T>(db: Client, sql: string, params: unknown[]) =>
  (await db.query(sql, params)).rows[0] as T;

/** Blobs no file row references that hold bytes already: one per run that has got on with its CSV. */
const writtenOrphans = (db: Client) =>
  one<{ n: number }>(
    db,
    `SELECT count(*)::int AS n FROM file_blobs b
      WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.blob_id = b.id)
        AND EXISTS (SELECT 1 FROM file_blob_chunks c WHERE c.blob_id = b.id)`,
    [],
  ).then((row) => row.n);

describe('faults: an order export through SIGKILLs', () => {
  let database: TestDatabase;
  let db: Client;
  beforeAll(async () => {
    database = await createDatabaseOn(process.env.E2E_DATABASE_URL!);
  });
  afterAll(async () => {
    await db?.end();
    await database.stop();
  });

  it(
    `an export of ${ORDERS} orders killed ${KILLS} times mid-stream ends with one CSV of every order`,
    async () => {
      let service: Service = await startReadyService(database.url, {}, 'build');
      const port = String(service.port);
      db = new Client({ connectionString: database.url });
      await db.connect();
      const user = await signUp(service.baseUrl);
      await insertOrders(db, user.id, ORDERS);
      const auth = { Authorization: `Bearer ${user.token}` };
      const accepted = await fetch(`${service.baseUrl}/api/order-exports`, {
        method: 'POST',
        headers: { ...auth, 'Content-Type': 'application/json' },
        body: JSON.stringify({ format: 'csv' }),
      });
      expect(accepted.status).toBe(202);
      const monitor = accepted.headers.get('location')!;
      const exported = async () =>
        (await (await fetch(`${service.baseUrl}${monitor}`, { headers: auth })).json()) as {
          status: string;
          rowCount: number | null;
          file: { id: string; url: string } | null;
        };
      let killedAt = 0;
      try {
        for (let kill = 0; kill < KILLS; kill++) {
          // This run has started and stored some of its CSV: the kill lands mid-stream.
          await waitFor(
            `run ${kill + 1} to be writing its CSV`,
            async () => {
              const running = (await exported()).status === 'running';
              return running && (await writtenOrphans(db)) > kill;
            },
            { ms: RECOVERY_MS },
          );
          service.child.kill('SIGKILL');
          await service.exited;
          killedAt = Date.now();
          service = await startReadyService(database.url, { PORT: port }, 'build');
        }
        const done = await waitFor(
          'the export to succeed after the last kill',
          async () => {
            const found = await exported();
            return found.status === 'succeeded' ? found : null;
          },
          { ms: RECOVERY_MS, every: 250 },
        );
        const recoveredMs = Date.now() - killedAt;
        expect(recoveredMs).toBeLessThan(RECOVERY_MS);
        expect(done.rowCount).toBe(ORDERS);

        const csv = await (
          await fetch(`${service.baseUrl}${done.file!.url}`, { headers: auth })
        ).text();
        const lines = csv.split('\r\n');
        expect(lines.pop()).toBe(''); // the last line ends like the others
        expect(lines.length).toBe(ORDERS + 1);
        expect(new Set(lines.slice(1).map((line) => line.split(',')[0])).size).toBe(ORDERS);
        const files = await one<{ n: number }>(
          db,
          'SELECT count(*)::int AS n FROM files WHERE user_id = $1',
          [user.id],
        );
        expect(files.n).toBe(1);

        // Each killed run left at most its partial blob, referenced by nothing: the orphan sweeper's
        // to remove once they are past its grace, as it is made to here.
        const orphans = await writtenOrphans(db);
        expect(orphans).toBeLessThanOrEqual(KILLS);
        expect(await sweepAllOrphans(database.url)).toBe(orphans);
        expect(await writtenOrphans(db)).toBe(0);
        await fetch(`${service.baseUrl}${done.file!.url}`, { headers: auth }).then((response) =>
          expect(response.status).toBe(200),
        );
        report({
          scenario: `order export of ${ORDERS} orders through ${KILLS} SIGKILLs`,
          requests: 1,
          duplicates: files.n - 1,
          lost: ORDERS - (done.rowCount ?? 0),
          fiveHundreds: 0,
          note: `succeeded ${(recoveredMs / 1000).toFixed(1)} s after the last kill; ${orphans} orphan blob(s) swept`,
        });
      } finally {
        service.child.kill('SIGTERM');
        await service.exited;
      }
    },
    10 * 60_000,
  );
});

/** What OrphanSweeper does once the blobs are past its grace: the real storage code, now. */
async function sweepAllOrphans(url: string): Promise<number> {
  const database = await openDatabase(
    { databaseUrl: url, databasePoolSize: 2, dataDir: '', databaseConnectTimeoutMs: 5_000 },
    ENTITIES,
    () => undefined,
  );
  try {
    return await new PostgresBlobStorage(new Transactions(database.dataSource)).sweepOrphans(
      new Date(),
    );
  } finally {
    await database.close();
  }
}
