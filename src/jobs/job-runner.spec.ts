import type { JobHelpers } from 'graphile-worker';
import { runTask } from './job-runner';
import { JobTask, JobTasks } from './job-task';

/** What graphile-worker hands a task: the job's run count and limit, and the shutdown signal. */
const warnings: string[] = [];
const helpersFor = (attempts: number, maxAttempts = 3) =>
  ({
    job: { attempts, max_attempts: maxAttempts },
    abortSignal: new AbortController().signal,
    logger: { warn: (message: string) => warnings.push(message) },
  }) as unknown as JobHelpers;

function fakeTask(failWith: Error | null, giveUpFailsWith: Error | null = null) {
  const calls: { ran: unknown[]; gaveUp: [unknown, string][] } = { ran: [], gaveUp: [] };
  const task: JobTask<{ id: string }> = {
    name: 'test.task',
    run: async (payload, run) => {
      calls.ran.push({ payload, attempt: run.attempt, maxAttempts: run.maxAttempts });
      if (failWith) throw failWith;
    },
    gaveUp: async (payload, error) => {
      calls.gaveUp.push([payload, error.message]);
      if (giveUpFailsWith) throw giveUpFailsWith;
    },
  };
  return { task, calls };
}

describe('runTask', () => {
  it('runs the task with its run number and limit', async () => {
    const { task, calls } = fakeTask(null);
    await runTask(task, { id: 'a' }, helpersFor(2));
    expect(calls.ran).toEqual([{ payload: { id: 'a' }, attempt: 2, maxAttempts: 3 }]);
    expect(calls.gaveUp).toEqual([]);
  });

  it('rethrows a failure before the last run, so the queue retries it with backoff, and does not give up', async () => {
    const { task, calls } = fakeTask(new Error('database gone'));
    await expect(runTask(task, { id: 'a' }, helpersFor(2))).rejects.toThrow('database gone');
    expect(calls.gaveUp).toEqual([]);
  });

  it('gives up after the last allowed run failed: the task records why, and the job fails for good', async () => {
    const { task, calls } = fakeTask(new Error('still gone'));
    await expect(runTask(task, { id: 'a' }, helpersFor(3))).rejects.toThrow('still gone');
    expect(calls.gaveUp).toEqual([[{ id: 'a' }, 'still gone']]);
  });

  it("keeps the run's own error as the job's when giving up fails too, and says so", async () => {
    const { task, calls } = fakeTask(new Error('still gone'), new Error('database away'));
    await expect(runTask(task, { id: 'a' }, helpersFor(3))).rejects.toThrow('still gone');
    expect(calls.gaveUp).toEqual([[{ id: 'a' }, 'still gone']]);
    expect(warnings).toContain('test.task: not given up on yet: database away');
  });
});

describe('JobTasks', () => {
  it('lists the registered tasks and refuses one name twice', () => {
    const tasks = new JobTasks();
    const { task } = fakeTask(null);
    tasks.register(task);
    expect(tasks.all()).toEqual([task]);
    expect(() => tasks.register(task)).toThrow('job task test.task registered twice');
  });
});
