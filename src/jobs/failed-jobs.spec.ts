import type { Tx } from '../database/transactions';
import { FailedJobs, LOST_LAST_RUN } from './failed-jobs';
import { JobTasks } from './job-task';
import type { FailedJob, JobsRepository } from './jobs.repository';

/** The failed jobs as JobsRepository.failed pages through them: by id, after a cursor. */
function failedList(ids: number[]) {
  const list = { ids };
  const jobs = {
    failed: async (_tx: Tx, after: string, limit: number): Promise<FailedJob[]> =>
      list.ids
        .filter((id) => id > Number(after))
        .slice(0, limit)
        .map((id) => ({ id: String(id), task: 'test.task', payload: { id }, lastError: null })),
  } as unknown as JobsRepository;
  return { list, jobs };
}

function setUp(ids: number[], pageSize: number) {
  const { list, jobs } = failedList(ids);
  const given: number[] = [];
  const refuse = new Set<number>();
  const tasks = new JobTasks();
  tasks.register<{ id: number }>({
    name: 'test.task',
    run: async () => undefined,
    gaveUp: async ({ id }, error) => {
      expect(error.message).toBe(LOST_LAST_RUN);
      if (refuse.has(id)) throw new Error('database away');
      given.push(id);
    },
  });
  const warnings: string[] = [];
  const logger = { warn: (message: string) => warnings.push(message) };
  const failed = new FailedJobs(jobs, tasks, logger as never, pageSize);
  const check = () => failed.giveUpOnNextPage({} as Tx, () => false);
  return { list, given, refuse, warnings, check };
}

describe('FailedJobs', () => {
  it('gives up on each failed job once, a page per check, round and round', async () => {
    const { given, check } = setUp([1, 2, 3, 4, 5], 2);
    for (let i = 0; i < 6; i++) await check();
    expect(given).toEqual([1, 2, 3, 4, 5]);
  });

  it('tries a give-up that failed again at the next check, from where it stopped', async () => {
    const { given, refuse, warnings, check } = setUp([1, 2, 3], 10);
    refuse.add(2);
    await check();
    expect(given).toEqual([1]);
    expect(warnings).toEqual(['a job of test.task not given up on yet: database away']);
    refuse.clear();
    await check();
    expect(given).toEqual([1, 2, 3]);
  });

  it('forgets a job once a whole pass no longer lists it, so it is given up on if it fails again', async () => {
    const { list, given, check } = setUp([1, 2], 10);
    await check();
    list.ids = [2]; // 1 was added again under its key, so it is no longer failed
    await check();
    list.ids = [1, 2]; // and has failed for good again
    await check();
    expect(given).toEqual([1, 2, 1]);
  });

  it('leaves a job of a task it does not know as it is, with a warning', async () => {
    const { jobs } = failedList([]);
    const warnings: string[] = [];
    const failed = new FailedJobs(jobs, new JobTasks(), {
      warn: (m: string) => warnings.push(m),
    } as never);
    const job = { id: '7', task: 'gone.task', payload: {}, lastError: 'x' };
    expect(await failed.giveUp(job)).toBe(true);
    expect(warnings).toEqual([
      'a failed job of gone.task, a task this process does not know, left as it is',
    ]);
  });
});
