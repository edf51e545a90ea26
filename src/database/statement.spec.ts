import { bind, statement } from './statement';

const INSERT = statement(
  'Test.insert',
  `
   INSERT INTO t (a, b, c) VALUES (:a, :b::integer, :a || :c)`,
);

describe('statement', () => {
  it('numbers each named parameter once, in order of first use, and leaves casts alone', () => {
    expect(INSERT.text).toBe('INSERT INTO t (a, b, c) VALUES ($1, $2::integer, $1 || $3)');
    expect(INSERT.params).toEqual(['a', 'b', 'c']);
  });
});

describe('bind', () => {
  it('reads the values of one object in $n order', () => {
    expect(bind(INSERT, { c: 3, b: 2, a: 1, unused: 4 })).toEqual([1, 2, 3]);
  });

  it('reads each name from the first of several objects that has it, null included', () => {
    expect(bind(INSERT, [{ a: null }, { a: 'later', b: 2 }, { c: 3 }])).toEqual([null, 2, 3]);
  });

  it('refuses a parameter no object has (undefined counts as missing), naming it', () => {
    expect(() => bind(INSERT, [{ a: 1, b: undefined }, { c: 3 }])).toThrow(
      'Test.insert: no value for :b',
    );
  });
});
