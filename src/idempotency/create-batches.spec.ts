import { BatchRunner, Batches } from './create-batches';

/** How a run ends: with a result per item, one item's failure, or the database down. */
type Ending = 'ok' | 'item failed' | 'down';

/** A runner whose runs the case settles by hand, recording what each run was given. */
class ManualRunner implements BatchRunner<string, string> {
  readonly runs: { items: readonly string[]; settle: (ending?: Ending) => void }[] = [];

  isItemFailure(error: unknown): boolean {
    return (error as Error).message.startsWith('item failed');
  }

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
        settle: (ending: Ending = 'ok') =>
          ending === 'ok'
            ? resolve(items.map((i) => `${i}!`))
            : reject(new Error(`${ending}: ${items.join()}`)),
      });
    });
  }
}

const LIMITS = {
  maxWaitMs: 60_000,
  waitedTooLong: () => new Error('waited too long'),
  nextRunAfterMs: 0,
};

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

function setup(inFlight = 1, maxBatch = 10, nextRunAfterMs = 0) {
  const runner = new ManualRunner();
  const batches = new Batches(runner, { inFlight, maxBatch, ...LIMITS, nextRunAfterMs });
  return { runner, batches };
}

/** `b` and `c` queued behind a run of `a`, which then ends: the next run is theirs. */
async function queuedBehindA(runner: ManualRunner, batches: Batches<string, string>) {
  void batches.run('a');
  const queued = ['b', 'c'].map((item) => batches.run(item).catch((error: Error) => error.message));
  runner.runs[0].settle();
  await flush();
  return queued;
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

  describe('with nextRunAfterMs', () => {
    beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate'] }));
    afterEach(() => jest.useRealTimers());

    it('starts a run beside another only once the youngest going run has gone nextRunAfterMs', async () => {
      const { runner, batches } = setup(2, 10, 20);
      const results = ['a', 'b', 'c'].map((item) => batches.run(item));
      jest.advanceTimersByTime(19);
      expect(runner.runs.map((run) => run.items)).toEqual([['a']]);
      jest.advanceTimersByTime(1); // a is held up: b and c may go beside it
      const late = batches.run('d');
      expect(runner.runs.map((run) => run.items)).toEqual([['a'], ['b', 'c']]);
      jest.advanceTimersByTime(20);
      expect(runner.runs).toHaveLength(2); // both slots taken: d waits for one
      runner.runs[1].settle();
      await flush();
      expect(runner.runs.map((run) => run.items)).toEqual([['a'], ['b', 'c'], ['d']]);
      runner.runs[0].settle();
      runner.runs[2].settle();
      await expect(Promise.all([...results, late])).resolves.toEqual(['a!', 'b!', 'c!', 'd!']);
    });

    it('times the wait from the youngest run still going, not from one that has ended', async () => {
      const { runner, batches } = setup(2, 10, 20);
      void batches.run('held'); // held up, as on a lock
      void batches.run('b');
      jest.advanceTimersByTime(20);
      expect(runner.runs.map((run) => run.items)).toEqual([['held'], ['b']]);
      jest.advanceTimersByTime(2);
      runner.runs[1].settle(); // b ends 2 ms after it started; held has gone 22 ms
      await flush();
      void batches.run('x');
      expect(runner.runs.map((run) => run.items)).toEqual([['held'], ['b'], ['x']]);
    });

    it('brings the wait forward when the youngest run ends before its time', async () => {
      const { runner, batches } = setup(3, 10, 20);
      void batches.run('held');
      jest.advanceTimersByTime(18);
      void batches.run('b'); // waits until held has gone 20 ms
      jest.advanceTimersByTime(2);
      void batches.run('c'); // waits until b has gone 20 ms (at 40)
      expect(runner.runs.map((run) => run.items)).toEqual([['held'], ['b']]);
      jest.advanceTimersByTime(1);
      runner.runs[1].settle(); // b ends at 21: held is the youngest going run, gone 21 ms
      await flush();
      expect(runner.runs.map((run) => run.items)).toEqual([['held'], ['b'], ['c']]);
    });

    it("runs a failed batch's items alone beside a held run, and frees the slot after", async () => {
      const { runner, batches } = setup(2, 10, 20);
      void batches.run('held');
      const queued = ['b', 'c'].map((item) => batches.run(item).catch((e: Error) => e.message));
      jest.advanceTimersByTime(20);
      runner.runs[1].settle('item failed'); // the batch of b and c
      await flush();
      expect(runner.runs.slice(1).map((run) => run.items)).toEqual([['b', 'c'], ['b']]);
      runner.runs[2].settle();
      await flush();
      runner.runs[3].settle();
      await expect(Promise.all(queued)).resolves.toEqual(['b!', 'c!']);
      jest.advanceTimersByTime(20);
      const after = batches.run('d');
      expect(runner.runs.map((run) => run.items).slice(4)).toEqual([['d']]);
      runner.runs[4].settle();
      await expect(after).resolves.toBe('d!');
    });
  });

  it('gives all that queued to the next run when the one before ends within nextRunAfterMs', async () => {
    const { runner, batches } = setup(2, 10, 60_000);
    const results = ['a', 'b', 'c', 'd'].map((item) => batches.run(item));
    runner.runs[0].settle();
    await flush();
    expect(runner.runs.map((run) => run.items)).toEqual([['a'], ['b', 'c', 'd']]);
    runner.runs[1].settle();
    await expect(Promise.all(results)).resolves.toEqual(['a!', 'b!', 'c!', 'd!']);
  });

  it('runs the items of a batch one failed alone, one after the other in its slot', async () => {
    const { runner, batches } = setup(1);
    const queued = await queuedBehindA(runner, batches);
    runner.runs[1].settle('item failed'); // the batch of b and c
    await flush();
    expect(runner.runs.slice(2).map((run) => run.items)).toEqual([['b']]);
    const later = batches.run('d');
    runner.runs[2].settle('item failed');
    await flush();
    expect(runner.runs.slice(2).map((run) => run.items)).toEqual([['b'], ['c']]);
    runner.runs[3].settle();
    await expect(Promise.all(queued)).resolves.toEqual(['item failed: b', 'c!']);
    await flush();
    expect(runner.runs.slice(4).map((run) => run.items)).toEqual([['d']]); // the slot, freed
    runner.runs[4].settle();
    await expect(later).resolves.toBe('d!');
  });

  it('fails every item of a batch that failed for a reason of no item (the database down)', async () => {
    const { runner, batches } = setup(1);
    const queued = await queuedBehindA(runner, batches);
    runner.runs[1].settle('down');
    await expect(Promise.all(queued)).resolves.toEqual(['down: b,c', 'down: b,c']);
    expect(runner.runs).toHaveLength(2);
  });

  it('fails the batch, without hanging, when the runner throws or answers too few results', async () => {
    for (const many of [
      () => {
        throw new Error('no JSON for it');
      },
      () => Promise.resolve(['only one']),
    ]) {
      const runner = new ManualRunner();
      runner.many = many;
      const batches = new Batches(runner, { inFlight: 1, maxBatch: 10, ...LIMITS });
      void batches.run('a');
      const queued = ['b', 'c'].map((item) => batches.run(item).catch(() => 'failed'));
      runner.runs[0].settle();
      await expect(Promise.all(queued)).resolves.toEqual(['failed', 'failed']);
    }
  });

  it('frees the slot of a failed run for the next', async () => {
    const { runner, batches } = setup(1);
    const failed = batches.run('a').catch((error: Error) => error.message);
    const next = batches.run('b');
    runner.runs[0].settle('down');
    await expect(failed).resolves.toBe('down: a');
    await flush();
    expect(runner.runs.map((run) => run.items)).toEqual([['a'], ['b']]);
    runner.runs[1].settle();
    await expect(next).resolves.toBe('b!');
  });

  it('fails an item that waited maxWaitMs for its run, and runs the rest as usual', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    try {
      const runner = new ManualRunner();
      const batches = new Batches(runner, { inFlight: 1, maxBatch: 10, ...LIMITS });
      void batches.run('a');
      const early = batches.run('b').catch((error: Error) => error.message);
      jest.advanceTimersByTime(40_000);
      const late = batches.run('c');
      jest.advanceTimersByTime(20_000);
      await expect(early).resolves.toBe('waited too long');
      expect(batches.queued).toBe(1);
      runner.runs[0].settle();
      await flush();
      expect(runner.runs.map((run) => run.items)).toEqual([['a'], ['c']]);
      runner.runs[1].settle();
      await expect(late).resolves.toBe('c!');
    } finally {
      jest.useRealTimers();
    }
  });
});
