import { canonicalJson, fingerprint } from './fingerprint';

describe('canonicalJson', () => {
  it('ignores key order at every depth but keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,1]},"b":1}',
    );
    expect(canonicalJson(JSON.parse(' { "a" : 1 ,\n "b":"x" } '))).toBe(
      canonicalJson({ b: 'x', a: 1 }),
    );
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });

  it('keeps strings and numbers exact', () => {
    expect(canonicalJson({ s: 'a"\u0000é', n: 1e21, f: 0.1 })).toBe(
      '{"f":0.1,"n":1e+21,"s":"a\\"\\u0000é"}',
    );
    expect(canonicalJson(undefined)).toBe('null');
  });
});

describe('fingerprint', () => {
  const secret = Buffer.from('secret');
  const base = {
    method: 'POST',
    path: '/api/users',
    body: { email: 'a@b.c', password: 'hunter22' },
  };

  it('is equal for equal requests, whatever the key order', () => {
    const reordered = { ...base, body: { password: 'hunter22', email: 'a@b.c' } };
    expect(fingerprint(secret, reordered).equals(fingerprint(secret, base))).toBe(true);
  });

  it('changes with the method, the path, the body, the extra part and the secret', () => {
    const print = fingerprint(secret, base);
    expect(fingerprint(secret, { ...base, method: 'PUT' }).equals(print)).toBe(false);
    expect(fingerprint(secret, { ...base, path: '/api/users/1' }).equals(print)).toBe(false);
    expect(
      fingerprint(secret, { ...base, body: { ...base.body, password: 'hunter23' } }).equals(print),
    ).toBe(false);
    expect(fingerprint(secret, { ...base, extra: 'sha256:ab' }).equals(print)).toBe(false);
    expect(fingerprint(Buffer.from('other'), base).equals(print)).toBe(false);
  });

  it('is an HMAC: it does not contain the body', () => {
    const print = fingerprint(secret, base);
    expect(print).toHaveLength(32);
    expect(print.toString('latin1')).not.toContain('hunter22');
  });
});
