import { etagOf, matchHits, noneMatchHits } from './etag';

describe('ETags', () => {
  const tag = etagOf({ id: 1, name: 'a' });

  it('is a quoted strong tag that changes with the representation', () => {
    expect(tag).toMatch(/^"[\w-]{32}"$/);
    expect(etagOf({ id: 1, name: 'a' })).toBe(tag);
    expect(etagOf({ id: 1, name: 'b' })).not.toBe(tag);
  });

  it('compares weakly for If-None-Match, including lists and *', () => {
    expect(noneMatchHits(tag, tag)).toBe(true);
    expect(noneMatchHits(`W/${tag}`, tag)).toBe(true);
    expect(noneMatchHits(`"other", ${tag}`, tag)).toBe(true);
    expect(noneMatchHits('*', tag)).toBe(true);
    expect(noneMatchHits('"other"', tag)).toBe(false);
    expect(noneMatchHits(undefined, tag)).toBe(false);
  });

  it('compares strongly for If-Match: weak tags and missing resources never match', () => {
    expect(matchHits(tag, tag)).toBe(true);
    expect(matchHits(`W/${tag}`, tag)).toBe(false);
    expect(matchHits('*', tag)).toBe(true);
    expect(matchHits('*', null)).toBe(false);
  });
});
