import { Gate } from './gate';

const busy = () => new Error('busy');

describe('Gate', () => {
  it('never runs more than its limit, even when newcomers arrive just as a slot frees', async () => {
    const gate = new Gate(2, Infinity, busy);
    let active = 0;
    let most = 0;
    const task = async () => {
      active++;
      most = Math.max(most, active);
      await Promise.resolve();
      active--;
    };
    // Each finished run starts another at once, competing with the runs already waiting.
    const chain = () => gate.run(task).then(() => gate.run(task));
    await Promise.all(Array.from({ length: 6 }, chain));
    expect(most).toBe(2);
  });

  it('refuses a task at once with busy() while maxWaiting others wait, and takes one again once they ran', async () => {
    const gate = new Gate(1, 2, busy);
    const releases: (() => void)[] = [];
    const held = () => new Promise<void>((release) => releases.push(release));
    const releaseNext = async () => {
      while (releases.length === 0) await new Promise((resolve) => setImmediate(resolve));
      releases.shift()!();
    };
    const running = [gate.run(held), gate.run(held), gate.run(held)]; // one runs, two wait
    expect(gate.queued).toBe(2);
    await expect(gate.run(held)).rejects.toThrow('busy');
    for (const task of running) {
      await releaseNext();
      await task;
    }
    expect(gate.queued).toBe(0);
    const again = gate.run(held);
    await releaseNext();
    await again;
  });
});

describe('Gate with an abort signal', () => {
  it('lets a waiting task leave the line when its signal aborts, the slot going to the next', async () => {
    const gate = new Gate(1, 2, busy);
    let release!: () => void;
    const holding = gate.run(() => new Promise<void>((done) => (release = done)));
    const leaving = new AbortController();
    const left = gate.run(() => Promise.resolve('ran'), leaving.signal);
    const next = gate.run(() => Promise.resolve('next ran'));
    expect(gate.queued).toBe(2);
    leaving.abort(new Error('gone'));
    await expect(left).rejects.toThrow('gone');
    expect(gate.queued).toBe(1);
    release();
    await holding;
    await expect(next).resolves.toBe('next ran');
    expect(gate.queued).toBe(0);
    // The slot was handed on and given back: a new task runs at once.
    await expect(gate.run(() => Promise.resolve('again'))).resolves.toBe('again');
  });
});

describe('Gate with an abort signal, at its edges', () => {
  it('refuses a task whose signal has already aborted, taking no slot', async () => {
    const gate = new Gate(1, 1, busy);
    await expect(
      gate.run(() => Promise.resolve(), AbortSignal.abort(new Error('gone'))),
    ).rejects.toThrow('gone');
    await expect(gate.run(() => Promise.resolve('ran'))).resolves.toBe('ran');
  });

  it('ignores an abort once the task holds its slot', async () => {
    const gate = new Gate(1, 1, busy);
    let release!: () => void;
    const holding = gate.run(() => new Promise<void>((done) => (release = done)));
    const late = new AbortController();
    let resume!: () => void;
    const resumed = new Promise<void>((done) => (resume = done));
    const woken = gate.run(async () => {
      late.abort(new Error('too late'));
      await resumed;
      return 'finished';
    }, late.signal);
    release();
    await holding;
    resume();
    await expect(woken).resolves.toBe('finished');
    expect(gate.queued).toBe(0);
  });
});
