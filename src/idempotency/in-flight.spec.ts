import { InFlightRequests } from './in-flight';

/** A task that runs until the case settles it, recording when it starts and ends. */
function task(log: string[], name: string) {
  let settle!: (outcome: 'ok' | Error) => void;
  const run = () => {
    log.push(`${name} starts`);
    return new Promise<string>((resolve, reject) => {
      settle = (outcome) => {
        log.push(`${name} ends`);
        if (outcome instanceof Error) reject(outcome);
        else resolve(name);
      };
    });
  };
  return { run, settle: (outcome: 'ok' | Error = 'ok') => settle(outcome) };
}

/** Lets every promise continuation that can run, run. */
const settled = () => new Promise(setImmediate);

describe('InFlightRequests', () => {
  it('runs a task for a free id at once, and tasks for other ids beside it', async () => {
    const inFlight = new InFlightRequests();
    const log: string[] = [];
    const [a, b] = [task(log, 'a'), task(log, 'b')];
    const ran = [
      inFlight.runAfterCurrent('x', 1_000, a.run),
      inFlight.runAfterCurrent('y', 1_000, b.run),
    ];
    await settled();
    expect(log).toEqual(['a starts', 'b starts']);
    a.settle();
    b.settle();
    expect(await Promise.all(ran)).toEqual([
      { done: true, value: 'a' },
      { done: true, value: 'b' },
    ]);
  });

  it('runs a duplicate once the task holding its id has settled, even by failing', async () => {
    const inFlight = new InFlightRequests();
    const log: string[] = [];
    const [first, second] = [task(log, 'first'), task(log, 'second')];
    const failed = inFlight
      .runAfterCurrent('x', 1_000, first.run)
      .catch((error: Error) => error.message);
    const ran = inFlight.runAfterCurrent('x', 1_000, second.run);
    await settled();
    first.settle(new Error('down'));
    await settled();
    second.settle();
    expect(await failed).toBe('down');
    expect(await ran).toEqual({ done: true, value: 'second' });
    expect(log).toEqual(['first starts', 'first ends', 'second starts', 'second ends']);
  });

  it('gives up at the deadline without running the duplicate while the holder still runs', async () => {
    jest.useFakeTimers();
    try {
      const inFlight = new InFlightRequests();
      const log: string[] = [];
      const holder = task(log, 'holder');
      void inFlight.runAfterCurrent('x', 1_000, holder.run);
      const ran = inFlight.runAfterCurrent('x', 1_000, task(log, 'duplicate').run);
      await jest.advanceTimersByTimeAsync(999);
      expect(log).toEqual(['holder starts']);
      await jest.advanceTimersByTimeAsync(1);
      expect(await ran).toEqual({ done: false });
      expect(log).toEqual(['holder starts']);
      holder.settle();
    } finally {
      jest.useRealTimers();
    }
  });

  /** Each waiter waits for whoever holds the id when it looks, not only for the first holder. */
  it('runs three duplicates one after the other', async () => {
    const inFlight = new InFlightRequests();
    const log: string[] = [];
    const tasks = ['1', '2', '3'].map((name) => task(log, name));
    const ran = tasks.map((t) => inFlight.runAfterCurrent('x', 1_000, t.run));
    for (const t of tasks) {
      await settled();
      t.settle();
    }
    await Promise.all(ran);
    expect(log).toEqual(['1 starts', '1 ends', '2 starts', '2 ends', '3 starts', '3 ends']);
  });
});
