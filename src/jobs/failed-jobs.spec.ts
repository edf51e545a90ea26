import type { Tx } from '../database/transactions';
import { FailedJobs, LOST_LAST_RUN } from './failed-jobs';
import { JobTasks } from './job-task';
import type { FailedJob, JobsRepository } from './jobs.repository';

/** The failed jobs as JobsRepository.failed pages through them: by id, after a cursor. */
function failedList(ids: number[], task = 'test.task') {
  /** `retried`: still on the page read, but its key taken by an operator's add_job since. */
  const list = { ids, retried: new Set<number>() };
  const jobs = {
    failed: async (_tx: Tx, after: string, limit: number): Promise<FailedJob[]> =>
      list.ids
        .filter((id) => id > Number(after))
        .slice(0, limit)
        .map((id) => ({ id: String(id), task, payload: { id }, lastError: null })),
    stillFailed: async (_tx: Tx, id: string) =>
      list.ids.includes(Number(id)) && !list.retried.has(Number(id)),
  } as unknown as JobsRepository;
  return { list, jobs };
}

function setUp(ids: number[], pageSize: number) {
  const { list, jobs } = failedList(ids);
  const given: number[] = [];
  const messages = new Set<string>();
  const refuse = new Map<number, Error>();
  const tasks = new JobTasks();
  tasks.register<{ id: number }>({
    name: 'test.task',
    run: async () => undefined,
    gaveUp: async ({ id }, error) => {
      messages.add(error.message);
      const refusal = refuse.get(id);
      if (refusal) throw refusal;
      given.push(id);
    },
  });
  const warnings: string[] = [];
  const logger = { warn: (message: string) => warnings.push(message) };
  const failed = new FailedJobs(jobs, tasks, logger as never, pageSize);
  const check = () => failed.giveUpOnNextPage({} as Tx, () => false);
  return { list, given, messages, refuse, warnings, check, failed };
}

describe('FailedJobs', () => {
  it('gives up on each failed job once, a page per check, round and round', async () => {
    const { given, messages, check } = setUp([1, 2, 3, 4, 5], 2);
    for (let i = 0; i < 6; i++) await check();
    expect(given).toEqual([1, 2, 3, 4, 5]);
    expect([...messages]).toEqual([LOST_LAST_RUN]); // no error recorded: its last run was lost
  });

  it('stops at a give-up the database was away for, and starts there at the next check', async () => {
    const { given, refuse, warnings, check } = setUp([1, 2, 3], 10);
    refuse.set(2, new Error('Connection terminated unexpectedly'));
    await check();
    expect(given).toEqual([1]);
    expect(warnings).toEqual([
      'a job of test.task not given up on yet: Connection terminated unexpectedly',
    ]);
    refuse.clear();
    await check();
    expect(given).toEqual([1, 2, 3]);
  });

  it('goes on past a give-up that fails otherwise, and tries it again in the next pass', async () => {
    const { given, refuse, check } = setUp([1, 2, 3], 10);
    refuse.set(2, new Error('FilesRepository.markFailed: no value for :id'));
    await check();
    expect(given).toEqual([1, 3]);
    await check();
    expect(given).toEqual([1, 3]); // still failing: tried, not given up on
    refuse.clear();
    await check();
    expect(given).toEqual([1, 3, 2]);
  });

  it('leaves a job retried since its page was read', async () => {
    const { list, given, check } = setUp([1, 2], 10);
    list.retried.add(2);
    await check();
    expect(given).toEqual([1]);
  });

  it('forgets a job once a whole pass no longer lists it, so it is given up on if it fails again', async () => {
    const { list, given, check } = setUp([1, 2], 10);
    await check();
    list.ids = [2]; // 1 is no longer failed (rescheduled, or removed)
    await check();
    list.ids = [1, 2]; // and has failed for good again
    await check();
    expect(given).toEqual([1, 2, 1]);
  });

  it('leaves a job of a task it does not know as it is, with a warning, and does not retry it', async () => {
    const { jobs } = failedList([7], 'gone.task');
    const warnings: string[] = [];
    const failed = new FailedJobs(jobs, new JobTasks(), {
      warn: (m: string) => warnings.push(m),
    } as never);
    await failed.giveUpOnNextPage({} as Tx, () => false);
    await failed.giveUpOnNextPage({} as Tx, () => false); // nothing to retry
    expect(warnings).toEqual([
      'a failed job of gone.task, a task this process does not know, left as it is',
    ]);
  });

  it('gives up on a released job at once, and not again when it is read among the failed', async () => {
    const { given, check, failed } = setUp([3], 10);
    await failed.giveUpOnReleased([
      { id: '3', task: 'test.task', payload: { id: 3 }, lastError: null },
    ]);
    await check();
    expect(given).toEqual([3]);
  });
});
