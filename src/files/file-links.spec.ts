import { randomBytes, randomUUID } from 'node:crypto';
import { FileLinkExpiredError, FileLinkInvalidError, FileLinks } from './file-links';

describe('FileLinks', () => {
  const key = randomBytes(32);
  const start = Date.parse('2026-12-06T10:00:00.250Z');
  const owner = randomUUID();
  const file = randomUUID();
  /** Links under `key` on a clock of the test's own. */
  const linksAt = (nowMs: number) => new FileLinks(key, () => nowMs);
  const links = linksAt(start);
  const inAnHour = links.expiryIn(3600);

  it('expires in whole seconds, counted from its clock', () => {
    expect(inAnHour.toISOString()).toBe('2026-12-06T11:00:00.000Z');
  });

  it('opens to its owner for the file and target it was made for, and reads as noise', () => {
    const link = links.seal(owner, file, 'content', inAnHour);
    expect(link).toMatch(/^[\w-]{70}$/);
    expect(links.ownerOf(link, file, 'content')).toBe(owner);
    expect(link).not.toContain(owner.slice(0, 8));
    expect(links.seal(owner, file, 'content', inAnHour)).not.toBe(link);
  });

  it('is refused for another file, the other target, another key, or altered anywhere', () => {
    const link = links.seal(owner, file, 'content', inAnHour);
    expect(() => links.ownerOf(link, randomUUID(), 'content')).toThrow(FileLinkInvalidError);
    expect(() => links.ownerOf(link, file, 'thumbnail')).toThrow(FileLinkInvalidError);
    const otherKey = new FileLinks(randomBytes(32), () => start);
    expect(() => otherKey.ownerOf(link, file, 'content')).toThrow(FileLinkInvalidError);
    // In the IV, the sealed owner and expiry, the tag; the last character's spare bits too.
    for (const at of [0, 20, 40, 60, 68, 69]) {
      const flipped = `${link.slice(0, at)}${link[at] === 'A' ? 'B' : 'A'}${link.slice(at + 1)}`;
      expect(() => links.ownerOf(flipped, file, 'content')).toThrow(FileLinkInvalidError);
    }
    for (const text of ['', 'x', link.slice(1), `${link}A`, `${link.slice(0, 69)}=`])
      expect(() => links.ownerOf(text, file, 'content')).toThrow(FileLinkInvalidError);
  });

  it('is refused from the second it expires, saying when', () => {
    const link = links.seal(owner, file, 'thumbnail', inAnHour);
    expect(linksAt(inAnHour.getTime() - 1).ownerOf(link, file, 'thumbnail')).toBe(owner);
    expect(() => linksAt(inAnHour.getTime()).ownerOf(link, file, 'thumbnail')).toThrow(
      new FileLinkExpiredError(inAnHour),
    );
    expect(new FileLinkExpiredError(inAnHour).detail).toContain('2026-12-06T11:00:00.000Z');
  });
});
