import { holdInTransaction } from './support/blocking';
import { finishedExport, postExport } from './support/order-exports';
import {
  startTestApp,
  startTestAppOnOwnDatabase,
  TestApp,
  TestAppOnOwnDatabase,
} from './support/test-app';
import { signUpAndIn, SignedUpUser } from './support/users';

/**
 * A user's exports share a named queue, which graphile-worker runs one job at a time: however
 * many exports one user asks for, the other users' jobs keep a worker slot. The API runs no jobs
 * here; a second app on the same database is the worker, started once the exports are queued.
 */
describe('order exports: one at a time per user', () => {
  let api: TestAppOnOwnDatabase;
  beforeAll(async () => {
    api = await startTestAppOnOwnDatabase({ WORKER_CONCURRENCY: '0' });
  });
  afterAll(() => api.close());

  const queue = async (user: SignedUpUser) =>
    (await postExport(api, user, { format: 'csv' }).expect(202)).body.id as string;
  const statusOf = async (id: string) =>
    (await api.dataSource.query('SELECT status FROM order_exports WHERE id = $1', [id]))[0]
      .status as string;

  it("runs another user's export while one user's two exports wait on each other", async () => {
    const [ann, bob] = await Promise.all([signUpAndIn(api), signUpAndIn(api)]);
    const annFirst = await queue(ann);
    const annSecond = await queue(ann);
    const bobs = await queue(bob);
    // A run of Ann's cannot write its CSV's file row while her user row is locked (the row's
    // foreign key), so each of her runs holds its worker slot until the lock is released.
    const hold = await holdInTransaction(
      api.databaseUrl,
      'SELECT 1 FROM users WHERE id = $1 FOR UPDATE',
      [ann.id],
    );
    let worker: TestApp | undefined;
    try {
      worker = await startTestApp({ WORKER_CONCURRENCY: '2' }, api.databaseUrl);
      // Both slots taken by Ann's two runs would leave Bob's export queued until the lock goes.
      expect((await finishedExport(api, bob, bobs, 15_000)).status).toBe('succeeded');
      expect([await statusOf(annFirst), await statusOf(annSecond)]).toEqual(['running', 'queued']);
      await hold.release();
      for (const id of [annFirst, annSecond])
        expect((await finishedExport(api, ann, id)).status).toBe('succeeded');
    } finally {
      await hold.release();
      await worker?.close();
    }
  });
});
