import { BatchRunner, Batches } from './create-batches';

/** A runner whose runs the case settles by hand, recording what each run was given. */
class ManualRunner implements BatchRunner<string, string> {
  readonly runs: { items: readonly string[]; settle: (failed?: boolean) => void }[] = [];

  one(item: string): Promise<string> {
    return this.start([item]).then(([result]) => result);
  }

  many(items: readonly string[]): Promise<string[]> {
    return this.start(items);
  }

  private start(items: readonly string[]): Promise<string[]> {
    return new Promise((resolve, reject) => {
      this.runs.push({
        items,
        settle: (failed = false) =>
          failed
            ? reject(new Error(`failed: ${items.join()}`))
            : resolve(items.map((i) => `${i}!`)),
      });
    });
  }
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

function setup(inFlight = 1, maxBatch = 10) {
  const runner = new ManualRunner();
  const batches = new Batches(runner, { inFlight, maxBatch });
  return { runner, batches };
}

describe('Batches', () => {
  it('runs a lone item at once, alone', async () => {
    const { runner, batches } = setup();
    const result = batches.run('a');
    expect(runner.runs.map((run) => run.items)).toEqual([['a']]);
    runner.runs[0].settle();
    await expect(result).resolves.toBe('a!');
  });

  it('holds what arrives while the runs in flight are going, and runs it together next', async () => {
    const { runner, batches } = setup(1);
    const first = batches.run('a');
    const queued = ['b', 'c', 'd'].map((item) => batches.run(item));
    expect(batches.queued).toBe(3);
    expect(runner.runs).toHaveLength(1);

    runner.runs[0].settle();
    await flush();
    expect(runner.runs.map((run) => run.items)).toEqual([['a'], ['b', 'c', 'd']]);
    expect(batches.queued).toBe(0);
    runner.runs[1].settle();
    await expect(Promise.all([first, ...queued])).resolves.toEqual(['a!', 'b!', 'c!', 'd!']);
  });

  it('starts up to inFlight runs at once, and no batch above maxBatch', async () => {
    const { runner, batches } = setup(2, 2);
    const results = ['a', 'b', 'c', 'd', 'e'].map((item) => batches.run(item));
    expect(runner.runs.map((run) => run.items)).toEqual([['a'], ['b']]);

    runner.runs[0].settle();
    await flush();
    expect(runner.runs.map((run) => run.items)).toEqual([['a'], ['b'], ['c', 'd']]);
    runner.runs[1].settle();
    await flush();
    expect(runner.runs.map((run) => run.items)).toEqual([['a'], ['b'], ['c', 'd'], ['e']]);
    runner.runs[2].settle();
    runner.runs[3].settle();
    await expect(Promise.all(results)).resolves.toEqual(['a!', 'b!', 'c!', 'd!', 'e!']);
  });

  it('runs each item of a failed batch alone, so each gets its own result or failure', async () => {
    const { runner, batches } = setup(1);
    void batches.run('a');
    const queued = ['b', 'c'].map((item) =>
      batches.run(item).catch((error: Error) => error.message),
    );
    runner.runs[0].settle();
    await flush();
    runner.runs[1].settle(true); // the batch of b and c
    await flush();
    expect(runner.runs.slice(2).map((run) => run.items)).toEqual([['b'], ['c']]);
    runner.runs[2].settle(true);
    runner.runs[3].settle();
    await expect(Promise.all(queued)).resolves.toEqual(['failed: b', 'c!']);
  });

  it('frees the slot of a failed run for the next', async () => {
    const { runner, batches } = setup(1);
    const failed = batches.run('a').catch((error: Error) => error.message);
    const next = batches.run('b');
    runner.runs[0].settle(true);
    await expect(failed).resolves.toBe('failed: a');
    await flush();
    expect(runner.runs.map((run) => run.items)).toEqual([['a'], ['b']]);
    runner.runs[1].settle();
    await expect(next).resolves.toBe('b!');
  });
});
