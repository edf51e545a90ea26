import { nestingDepth } from './json-depth';

describe('nestingDepth', () => {
  it.each([
    ['1', 0],
    ['{}', 1],
    ['{"a":[1,{"b":[]}]}', 4],
    ['{"s":"[[[[{{{{"}', 1],
    ['{"s":"a\\"[[[["}', 1],
    [`${'['.repeat(100_000)}${']'.repeat(100_000)}`, 100_000],
  ])('of %s is %i', (json, depth) => expect(nestingDepth(json)).toBe(depth));
});
