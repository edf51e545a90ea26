import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, isRunning, startService, waitUntilReady } from '../support/service-process';
import { traversableTempDir } from '../support/test-database';
import { waitFor } from '../support/wait';
import { Answer, createOrder, signUp, unexpected5xx } from './support/orders-client';
import { report } from './support/report';

describe('faults: SIGTERM under load, on the embedded database', () => {
  const dataDir = traversableTempDir('order-service-sigterm-');
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('finishes in-flight requests, refuses new ones cleanly, stops PostgreSQL and exits 0', async () => {
    const port = await freePort();
    const env = { DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', AUTH_RATE_LIMIT: '0' };
    const service = startService(env, 'build');
    await waitUntilReady(port, 90_000); // initdb on a loaded machine
    const baseUrl = `http://127.0.0.1:${port}`;
    const postmaster = Number(
      readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0],
    );
    const user = await signUp(baseUrl);

    const answers: Array<Answer & { sentAt: number; client: number }> = [];
    let sigtermAt = Infinity;
    let running = true;
    const clients = Array.from({ length: 8 }, async (_, client) => {
      for (let i = 0; running; i++) {
        const sentAt = Date.now();
        const answer = await createOrder(baseUrl, user.token, `sigterm-${client}-${i}`);
        answers.push({ ...answer, sentAt, client });
        if (answer.status === 0) await sleep(20);
      }
    });
    const served = () => new Set(answers.filter((a) => a.status === 201).map((a) => a.client));
    await waitFor('every client served', () => served().size === clients.length); // under load
    sigtermAt = Date.now();
    service.child.kill('SIGTERM');
    const exitCode = await service.exited;
    running = false;
    await Promise.all(clients);

    expect(exitCode).toBe(0);
    expect(isRunning(postmaster)).toBe(false);
    expect(service.stderr()).toBe('');
    // Sent well before the signal (a loaded event loop may not have read one sent just before):
    const before = answers.filter((answer) => answer.sentAt < sigtermAt - 250);
    expect(before.every((answer) => answer.status === 201)).toBe(true); // in flight when the signal came: finished
    const after = answers.filter((answer) => answer.sentAt >= sigtermAt);
    // Refused (no answer, or 503 while closing), or accepted just before the listener closed.
    expect(after.every((answer) => [0, 201, 503].includes(answer.status))).toBe(true);
    expect(unexpected5xx(answers)).toEqual([]);

    // Every 201 the clients saw is really there after a restart on the same data.
    const again = startService(env, 'build');
    try {
      await waitUntilReady(port, 90_000); // initdb on a loaded machine
      const created = answers
        .filter((answer) => answer.status === 201)
        .map((answer) => (JSON.parse(answer.body) as { id: string }).id);
      const statuses = await Promise.all(
        created.map((id) =>
          fetch(`${baseUrl}/api/orders/${id}`, {
            headers: { Authorization: `Bearer ${user.token}` },
          }).then((r) => r.status),
        ),
      );
      const lost = statuses.filter((status) => status !== 200).length;
      expect(lost).toBe(0);
      const stored = await countOrders(baseUrl, user.token);
      expect(stored).toBe(created.length); // nothing committed that its client was not told about
      report({
        scenario: 'SIGTERM under load (embedded PostgreSQL)',
        requests: answers.length,
        duplicates: stored - created.length,
        lost,
        fiveHundreds: unexpected5xx(answers).length,
        note: `${created.length} x 201, then ${after.length} refused; exit ${exitCode}`,
      });
    } finally {
      again.child.kill('SIGTERM');
      await again.exited;
    }
  });
});

/** The user's orders, counted through the API's pages. */
async function countOrders(baseUrl: string, token: string): Promise<number> {
  let count = 0;
  for (let url: string | null = `${baseUrl}/api/orders?limit=100`; url;) {
    const page = (await (
      await fetch(url, { headers: { Authorization: `Bearer ${token}` } })
    ).json()) as { data: unknown[]; nextCursor: string | null };
    count += page.data.length;
    url = page.nextCursor ? `${baseUrl}/api/orders?limit=100&cursor=${page.nextCursor}` : null;
  }
  return count;
}
