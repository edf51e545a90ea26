import { Client } from 'pg';
import { blockedServiceBackend, holdEmail, sessionEnded } from './support/blocking';
import { startReadyService, stopService } from './support/service-process';
import { createDatabaseOn, migrate, TestDatabase } from './support/test-database';
import { uniqueEmail } from './support/users';

type Service = Awaited<ReturnType<typeof startReadyService>>;

const signUp = (service: Service, key: string, email: string) =>
  fetch(`${service.baseUrl}/api/users`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key },
    body: JSON.stringify({ email, name: 'Replica', password: 'long enough' }),
  }).then(async (response) => ({
    status: response.status,
    replayed: response.headers.get('idempotent-replayed'),
    location: response.headers.get('location'),
    etag: response.headers.get('etag'),
    text: await response.text(),
  }));

describe('idempotency across service processes on one database', () => {
  let database: TestDatabase;
  let admin: Client;
  beforeAll(async () => {
    database = await createDatabaseOn(process.env.E2E_DATABASE_URL!);
    await migrate(database.url); // a test may hold rows before any service has started
    admin = new Client({ connectionString: database.url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin.end();
    await database.stop();
  });
  const usersWith = async (email: string) =>
    Number(
      (await admin.query('SELECT count(*) AS n FROM users WHERE email_normalized = $1', [email]))
        .rows[0].n,
    );

  describe('two replicas', () => {
    let replicas: Service[] = [];
    beforeAll(async () => {
      replicas = await Promise.all(
        // A wait a loaded machine cannot outlast, as in the in-flight tests.
        [1, 2].map(() =>
          startReadyService(database.url, { LOG_LEVEL: 'info', IDEMPOTENCY_WAIT: '30s' }),
        ),
      );
    });
    afterAll(() => Promise.all(replicas.map(stopService)));

    it('behave as one: concurrent same-key requests split across both create one user and one answer', async () => {
      const key = `replicas-${Date.now()}`;
      const email = uniqueEmail('replicas');
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) => signUp(replicas[i % 2], key, email)),
      );

      expect(answers.filter((answer) => answer.status >= 500)).toEqual([]);
      expect(
        new Set(answers.map((a) => `${a.status} ${a.location} ${a.etag} ${a.text}`)).size,
      ).toBe(1);
      expect(answers[0].status).toBe(201);
      expect(answers.filter((answer) => answer.replayed === 'true')).toHaveLength(39);
      expect(await usersWith(email)).toBe(1);

      const logs = replicas.map((replica) => replica.stdout()).join('');
      expect(logs).toContain('idempotencyKeyHash');
      expect(logs).not.toContain(key); // logs name keys by hash only
    });
  });

  it('leaves nothing behind when a process is SIGKILLed mid-request: the retry runs afresh, once', async () => {
    const key = `crash-${Date.now()}`;
    const email = uniqueEmail('crash');
    const blocker = await holdEmail(database.url, email);
    let victim: Service | undefined = await startReadyService(database.url, {
      IDEMPOTENCY_WAIT: '20s',
    });
    let survivor: Service | undefined;
    try {
      const inFlight = signUp(victim, key, email).catch((error: Error) => error);
      const backend = await blockedServiceBackend(blocker.client);
      victim.child.kill('SIGKILL');
      expect(await inFlight).toMatchObject({ message: 'fetch failed' }); // the client saw the connection die
      await victim.exited;
      victim = undefined;
      await sessionEnded(admin, backend); // the killed process's session
      await blocker.release();
      expect(
        (await admin.query('SELECT 1 FROM idempotency_keys WHERE key = $1', [key])).rowCount,
      ).toBe(0);

      survivor = await startReadyService(database.url);
      const retry = await signUp(survivor, key, email);
      expect([retry.status, retry.replayed]).toEqual([201, null]);
      expect(await usersWith(email)).toBe(1);
      const again = await signUp(survivor, key, email);
      expect([again.status, again.replayed, again.text]).toEqual([201, 'true', retry.text]);
    } finally {
      await stopService(victim);
      await stopService(survivor);
      await blocker.release();
    }
  });
});
