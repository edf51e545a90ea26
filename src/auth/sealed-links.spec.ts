import { randomBytes, randomUUID } from 'node:crypto';
import { LinkExpiredError, LinkInvalidError, SealedLinks } from './sealed-links';

describe('SealedLinks', () => {
  const key = randomBytes(32);
  const start = Date.parse('2026-12-06T10:00:00.250Z');
  const owner = randomUUID();
  const scope = `content ${randomUUID()}`;
  /** Links under `key` on a clock of the test's own. */
  const linksAt = (nowMs: number) => new SealedLinks(key, () => nowMs);
  const links = linksAt(start);
  const inAnHour = links.expiryIn(3600);

  it('expires in whole seconds, counted from its clock', () => {
    expect(inAnHour.toISOString()).toBe('2026-12-06T11:00:00.000Z');
  });

  it('opens to its owner for the scope it was made for, and reads as noise', () => {
    const link = links.seal(owner, scope, inAnHour);
    expect(link).toMatch(/^[\w-]{80}$/);
    const issuedAt = new Date(Math.floor(start / 1000) * 1000);
    expect(links.open(link, scope)).toEqual({ ownerId: owner, issuedAt, expiresAt: inAnHour });
    expect(() => links.seal('not-a-uuid', scope, inAnHour)).toThrow(/UUID/);
    expect(link).not.toContain(owner.slice(0, 8));
    expect(links.seal(owner, scope, inAnHour)).not.toBe(link);
  });

  it('is refused for another scope, another key, or altered anywhere', () => {
    const link = links.seal(owner, scope, inAnHour);
    expect(() => links.open(link, `thumbnail ${scope.split(' ')[1]}`)).toThrow(LinkInvalidError);
    expect(() => links.open(link, `${scope} `)).toThrow(LinkInvalidError);
    const otherKey = new SealedLinks(randomBytes(32), () => start);
    expect(() => otherKey.open(link, scope)).toThrow(LinkInvalidError);
    // In the IV, the sealed issue, expiry and owner, and the tag.
    for (const at of [0, 18, 28, 40, 60, 79]) {
      const flipped = `${link.slice(0, at)}${link[at] === 'A' ? 'B' : 'A'}${link.slice(at + 1)}`;
      expect(() => links.open(flipped, scope)).toThrow(LinkInvalidError);
    }
    for (const text of ['', 'x', link.slice(1), `${link}A`, `${link.slice(0, 79)}=`])
      expect(() => links.open(text, scope)).toThrow(LinkInvalidError);
  });

  it('is refused from the second it expires, saying when', () => {
    const link = links.seal(owner, scope, inAnHour);
    expect(linksAt(inAnHour.getTime() - 1).open(link, scope).ownerId).toBe(owner);
    expect(() => linksAt(inAnHour.getTime()).open(link, scope)).toThrow(
      new LinkExpiredError(inAnHour),
    );
    expect(new LinkExpiredError(inAnHour).detail).toContain('2026-12-06T11:00:00.000Z');
  });

  it('is expired sooner once older than a maximum age counted from when it was issued', () => {
    const issuedAt = new Date(start - 600_000);
    const link = links.seal(owner, scope, inAnHour, issuedAt);
    expect(links.open(link, scope, 7200).expiresAt).toEqual(inAnHour); // the sealed expiry first
    const tenMinutes = new Date(Math.floor(issuedAt.getTime() / 1000) * 1000 + 600_000);
    expect(() => links.open(link, scope, 600)).toThrow(new LinkExpiredError(tenMinutes));
    expect(linksAt(tenMinutes.getTime() - 1).open(link, scope, 600).expiresAt).toEqual(tenMinutes);
  });
});
