import { ChecksBusyError, Gate, PasswordHasher } from './password-hasher';

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher();

  it('stores a salted scrypt hash with its parameters, never the password', async () => {
    const [first, second] = await Promise.all([
      hasher.hash('correct horse'),
      hasher.hash('correct horse'),
    ]);
    expect(first).toMatch(/^scrypt\$32768\$8\$3\$[\w-]{22}\$[\w-]{43}$/);
    expect(first).not.toBe(second);
    expect(first).not.toContain('correct horse');
  });

  it('verifies the right password only', async () => {
    const stored = await hasher.hash('correct horse');
    await expect(hasher.verify('correct horse', stored)).resolves.toBe(true);
    await expect(hasher.verify('correct horsE', stored)).resolves.toBe(false);
    await expect(hasher.verify('correct horse', 'bcrypt$whatever')).resolves.toBe(false);
  });

  it('does the same work for an unknown user and still answers false', async () => {
    await expect(hasher.verifyAgainstNobody('anything')).resolves.toBe(false);
  });

  it('checks an unknown user again once a flood that refused its first check has passed', async () => {
    const fresh = new PasswordHasher(); // no dummy hash made yet
    const flood = Array.from({ length: 40 }, () => hasher.hash('guess'));
    await expect(fresh.verifyAgainstNobody('anything')).rejects.toBeInstanceOf(ChecksBusyError);
    await Promise.allSettled(flood);
    await expect(fresh.verifyAgainstNobody('anything')).resolves.toBe(false);
  });
});

describe('Gate', () => {
  it('never runs more than its limit, even when newcomers arrive just as a slot frees', async () => {
    const gate = new Gate(2);
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

  it('refuses a task at once (429) while maxWaiting others wait, and takes one again once they ran', async () => {
    const gate = new Gate(1, 2);
    const releases: (() => void)[] = [];
    const held = () => new Promise<void>((release) => releases.push(release));
    const releaseNext = async () => {
      while (releases.length === 0) await new Promise((resolve) => setImmediate(resolve));
      releases.shift()!();
    };
    const running = [gate.run(held), gate.run(held), gate.run(held)]; // one runs, two wait
    await expect(gate.run(held)).rejects.toBeInstanceOf(ChecksBusyError);
    for (const task of running) {
      await releaseNext();
      await task;
    }
    const again = gate.run(held);
    await releaseNext();
    await again;
  });
});
