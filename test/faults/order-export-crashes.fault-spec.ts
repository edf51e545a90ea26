import { Client } from 'pg';
import { Transactions } from '../../src/database/transactions';
import { openDatabase } from '../../src/database/open-database';
import { ENTITIES } from '../../src/entities';
import { PostgresBlobStorage } from '../../src/files/storage/postgres-blob-storage';
import { BlobsRepository } from '../../src/files/storage/blobs.repository';
import { insertOrders } from '../support/bulk-orders';
import { startReadyService } from '../support/service-process';
import { createDatabaseOn, TestDatabase } from '../support/test-database';
import { waitFor } from '../support/wait';
import { signUp } from './support/orders-client';
import { report } from './support/report';

type Service = Awaited<ReturnType<typeof startReadyService>>;
interface Exported {
  status: string;
  rowCount: number | null;
  file: { url: string } | null;
}

const ORDERS = 200_000;
const KILLS = 5;
/** A dead runner's job is handed back within ~20 s (src/jobs/stranded-jobs.ts); the rest is the run. */
const RECOVERY_MS = 60_000;

const count = async (db: Client, sql: string, params: unknown[] = []) =>
  ((await db.query(sql, params)).rows[0] as { n: number }).n;
/** Blobs no file row references; `written`: only those holding bytes already. */
const orphanBlobs = (db: Client, written = false) =>
  count(
    db,
    `SELECT count(*)::int AS n FROM file_blobs b
      WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.blob_id = b.id)
        AND (NOT $1 OR EXISTS (SELECT 1 FROM file_blob_chunks c WHERE c.blob_id = b.id))`,
    [written],
  );

/** A user's export on a service that is SIGKILLed and restarted on the same port. */
class ExportUnderKills {
  private constructor(
    private service: Service,
    private readonly databaseUrl: string,
    private readonly auth: Record<string, string>,
    private readonly monitor: string,
  ) {}

  /** A service, a user with ORDERS orders, and the export of them, just accepted. */
  static async start(databaseUrl: string, db: Client): Promise<ExportUnderKills> {
    const service = await startReadyService(databaseUrl, {}, 'build');
    const user = await signUp(service.baseUrl);
    await insertOrders(db, user.id, ORDERS);
    const auth = { Authorization: `Bearer ${user.token}` };
    const accepted = await fetch(`${service.baseUrl}/api/order-exports`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ format: 'csv' }),
    });
    expect(accepted.status).toBe(202);
    return new ExportUnderKills(service, databaseUrl, auth, accepted.headers.get('location')!);
  }

  get = (path: string) => fetch(`${this.service.baseUrl}${path}`, { headers: this.auth });

  async exported(): Promise<Exported> {
    return (await (await this.get(this.monitor)).json()) as Exported;
  }

  /** Waits until `isWriting` says a run is storing its CSV, kills the service, restarts it. */
  async killMidStream(isWriting: () => Promise<boolean>): Promise<number> {
    await waitFor(
      'a run to be writing its CSV',
      async () => (await this.exported()).status === 'running' && (await isWriting()),
      { ms: RECOVERY_MS },
    );
    this.service.child.kill('SIGKILL');
    await this.service.exited;
    const killedAt = Date.now();
    this.service = await startReadyService(
      this.databaseUrl,
      { PORT: String(this.service.port) },
      'build',
    );
    return killedAt;
  }

  succeeded(): Promise<Exported> {
    return waitFor(
      'the export to succeed',
      async () => {
        const found = await this.exported();
        return found.status === 'succeeded' ? found : null;
      },
      { ms: RECOVERY_MS, every: 250 },
    );
  }

  /** SIGTERM; a stop that does not end in exit 0 fails the test with what the service wrote. */
  async stop() {
    this.service.child.kill('SIGTERM');
    const code = await this.service.exited;
    if (code !== 0)
      throw new Error(
        `exit ${code} after SIGTERM: ${this.service.stderr()}${this.service.stdout()}`,
      );
  }
}

describe('faults: an order export through SIGKILLs', () => {
  let database: TestDatabase;
  let db: Client;
  beforeAll(async () => {
    database = await createDatabaseOn(process.env.E2E_DATABASE_URL!);
    db = new Client({ connectionString: database.url });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await database.stop();
  });

  it(
    `an export of ${ORDERS} orders killed ${KILLS} times mid-stream ends with one CSV of every order`,
    async () => {
      const scenario = await ExportUnderKills.start(database.url, db);
      try {
        let killedAt = 0;
        // Each run writes a blob of its own; the kill comes once this run's holds bytes.
        for (let kill = 0; kill < KILLS; kill++)
          killedAt = await scenario.killMidStream(async () => (await orphanBlobs(db, true)) > kill);
        const done = await scenario.succeeded();
        const recoveredMs = Date.now() - killedAt;
        expect(recoveredMs).toBeLessThan(RECOVERY_MS);
        expect(done.rowCount).toBe(ORDERS);
        const lines = (await (await scenario.get(done.file!.url)).text()).split('\r\n');
        expect(lines.pop()).toBe(''); // the last line ends like the others
        expect(lines.length).toBe(ORDERS + 1);
        expect(new Set(lines.slice(1).map((line) => line.split(',')[0])).size).toBe(ORDERS);
        const files = await count(db, 'SELECT count(*)::int AS n FROM files');
        expect(files).toBe(1);

        // The killed runs' partial blobs, referenced by nothing, are all that is left over: the
        // orphan sweeper removes them once past its grace, as it is made to here.
        const orphans = await orphanBlobs(db);
        expect(orphans).toBeLessThanOrEqual(KILLS);
        expect(await sweepAllOrphans(database.url)).toBe(orphans);
        expect(await orphanBlobs(db)).toBe(0);
        // Read whole: a download left unread stays in flight, and the service's stop waits for it.
        const again = await scenario.get(done.file!.url);
        expect(again.status).toBe(200);
        expect((await again.text()).split('\r\n').length).toBe(ORDERS + 2);
        report({
          scenario: `order export of ${ORDERS} orders through ${KILLS} SIGKILLs`,
          requests: 1,
          duplicates: files - 1,
          lost: ORDERS - (done.rowCount ?? 0),
          fiveHundreds: 0,
          note: `succeeded ${(recoveredMs / 1000).toFixed(1)} s after the last kill; ${orphans} orphan blob(s) swept`,
        });
      } finally {
        await scenario.stop();
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
    return await new PostgresBlobStorage(
      new BlobsRepository(new Transactions(database.dataSource)),
    ).sweepOrphans(new Date());
  } finally {
    await database.close();
  }
}
