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
 * An export's job comes after those of users who asked for fewer exports lately: one user's burst
 * does not take every worker slot ahead of another user's first export. The API runs no jobs
 * here; a second app on the same database is the worker, started once the exports are queued.
 */
describe('order exports: priority by recent exports', () => {
  let api: TestAppOnOwnDatabase;
  beforeAll(async () => {
    api = await startTestAppOnOwnDatabase({ WORKER_CONCURRENCY: '0' });
  });
  afterAll(() => api.close());

  const queue = async (user: SignedUpUser) =>
    (await postExport(api, user, { format: 'csv' }).expect(202)).body.id as string;
  const jobs = (ids: string[]) =>
    api.dataSource.query<{ priority: number; lastError: string | null }[]>(
      `SELECT priority, last_error AS "lastError" FROM graphile_worker.jobs
        WHERE key = ANY($1) ORDER BY id`,
      [ids.map((id) => `orderExports.run:${id}`)],
    );

  it("runs another user's first export ahead of one user's second, while both worker slots could go to the first user", async () => {
    const [ann, bob] = await Promise.all([signUpAndIn(api), signUpAndIn(api)]);
    const annFirst = await queue(ann);
    const annSecond = await queue(ann);
    const bobs = await queue(bob);
    expect((await jobs([annFirst, annSecond, bobs])).map(({ priority }) => priority)).toEqual([
      0, 1, 0,
    ]);
    // A run of Ann's cannot write its CSV's file row while her user row is locked (the row's
    // foreign key): it holds its worker slot until the lock is released or its lock_timeout
    // (10 s) fails the run. Taken in order of creation alone, her two runs would hold both slots.
    const hold = await holdInTransaction(
      api.databaseUrl,
      'SELECT 1 FROM users WHERE id = $1 FOR UPDATE',
      [ann.id],
    );
    let worker: TestApp | undefined;
    try {
      worker = await startTestApp({ WORKER_CONCURRENCY: '2' }, api.databaseUrl);
      expect((await finishedExport(api, bob, bobs)).status).toBe('succeeded');
      // Bob's run did not wait for a run of Ann's to time out and free its slot.
      expect((await jobs([annFirst, annSecond])).map(({ lastError }) => lastError)).toEqual([
        null,
        null,
      ]);
      await hold.release();
      for (const id of [annFirst, annSecond])
        expect((await finishedExport(api, ann, id)).status).toBe('succeeded');
    } finally {
      await hold.release();
      await worker?.close();
    }
  });
});
