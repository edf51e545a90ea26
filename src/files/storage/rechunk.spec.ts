import { Readable } from 'node:stream';
import { groupsOf, rechunk } from './rechunk';

const collect = async <T>(source: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
};

describe('rechunk', () => {
  it('regroups pieces of any size into chunks of exactly `size` bytes, the last shorter', async () => {
    const bytes = Buffer.from('abcdefghijklmnopqrstuvwxyz');
    const pieces = [
      bytes.subarray(0, 3),
      bytes.subarray(3, 4),
      bytes.subarray(4, 20),
      bytes.subarray(20),
    ];
    const chunks = await collect(rechunk(Readable.from(pieces), 8));
    expect(chunks.map((chunk) => chunk.toString())).toEqual([
      'abcdefgh',
      'ijklmnop',
      'qrstuvwx',
      'yz',
    ]);
  });
});

describe('groupsOf', () => {
  it('groups items in order, `count` at a time, the last group shorter', async () => {
    expect(await collect(groupsOf(Readable.from([1, 2, 3, 4, 5]), 2))).toEqual([
      [1, 2],
      [3, 4],
      [5],
    ]);
  });

  it('yields nothing for nothing, and no empty last group', async () => {
    expect(await collect(groupsOf(Readable.from([]), 4))).toEqual([]);
    expect(await collect(groupsOf(Readable.from([1, 2]), 2))).toEqual([[1, 2]]);
  });
});
