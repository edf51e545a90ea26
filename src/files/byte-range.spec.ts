import { parseRange } from './byte-range';

describe('parseRange', () => {
  it.each([
    ['bytes=0-9', 100, { start: 0, end: 9 }],
    ['bytes=90-', 100, { start: 90, end: 99 }],
    ['bytes=90-1000', 100, { start: 90, end: 99 }],
    ['bytes=-10', 100, { start: 90, end: 99 }],
    ['bytes=-1000', 100, { start: 0, end: 99 }],
    ['BYTES=0-9', 100, { start: 0, end: 9 }],
    ['Bytes=-10', 100, { start: 90, end: 99 }],
  ])('reads %s of %i bytes', (header, size, range) =>
    expect(parseRange(header, size)).toEqual(range),
  );

  it.each([
    [undefined],
    ['items=0-9'],
    ['bytes=0-9,20-29'],
    ['bytes=-'],
    ['bytes=9-0'],
    ['bytes=a-b'],
  ])('ignores %j: send everything', (header) => {
    expect(parseRange(header, 100)).toBeNull();
  });

  it.each([['bytes=100-'], ['bytes=-0'], ['bytes=200-300']])('finds %s unsatisfiable', (header) => {
    expect(parseRange(header, 100)).toBe('unsatisfiable');
  });
});
