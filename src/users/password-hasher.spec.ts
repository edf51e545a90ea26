import { ChecksBusyError, PasswordHasher } from './password-hasher';

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
