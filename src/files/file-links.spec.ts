import { randomBytes, randomUUID } from 'node:crypto';
import { FileLinkExpiredError, FileLinkInvalidError, FileLinks } from './file-links';

describe('FileLinks', () => {
  const key = randomBytes(32);
  let now = Date.parse('2026-12-06T10:00:00Z');
  const links = new FileLinks(key, () => now);
  const owner = randomUUID();
  const file = randomUUID();
  const inAnHour = new Date(now + 3600_000);

  it('opens to its owner for the file and bytes it was made for, and reads as noise', () => {
    const link = links.seal(owner, file, 'content', inAnHour);
    expect(link).toMatch(/^[\w-]{70}$/);
    expect(links.ownerOf(link, file, 'content')).toBe(owner);
    expect(link).not.toContain(owner.slice(0, 8));
    expect(links.seal(owner, file, 'content', inAnHour)).not.toBe(link);
  });

  it('is refused for another file, the other bytes, another key, or altered', () => {
    const link = links.seal(owner, file, 'content', inAnHour);
    expect(() => links.ownerOf(link, randomUUID(), 'content')).toThrow(FileLinkInvalidError);
    expect(() => links.ownerOf(link, file, 'thumbnail')).toThrow(FileLinkInvalidError);
    const otherKey = new FileLinks(randomBytes(32), () => now);
    expect(() => otherKey.ownerOf(link, file, 'content')).toThrow(FileLinkInvalidError);
    for (const at of [0, 20, 50, 69]) {
      const flipped = `${link.slice(0, at)}${link[at] === 'A' ? 'B' : 'A'}${link.slice(at + 1)}`;
      expect(() => links.ownerOf(flipped, file, 'content')).toThrow(FileLinkInvalidError);
    }
    for (const text of ['', 'x', link.slice(1), `${link}A`, `${link.slice(0, 69)}=`])
      expect(() => links.ownerOf(text, file, 'content')).toThrow(FileLinkInvalidError);
  });

  it('is refused from the second it expires, saying when', () => {
    const link = links.seal(owner, file, 'thumbnail', inAnHour);
    now = inAnHour.getTime() - 1;
    expect(links.ownerOf(link, file, 'thumbnail')).toBe(owner);
    now = inAnHour.getTime();
    expect(() => links.ownerOf(link, file, 'thumbnail')).toThrow(
      new FileLinkExpiredError(inAnHour),
    );
    expect(new FileLinkExpiredError(inAnHour).detail).toContain('2026-12-06T11:00:00.000Z');
  });
});
