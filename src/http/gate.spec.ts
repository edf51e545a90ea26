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
