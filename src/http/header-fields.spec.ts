import { countHeaderFields } from './header-fields';

describe('countHeaderFields', () => {
  it('counts every field of the name, in any case, not the values in one field', () => {
    const raw = ['Host', 'x', 'Idempotency-Key', 'a', 'idempotency-key', 'b'];
    expect(countHeaderFields(raw, 'idempotency-key')).toBe(2);
    expect(countHeaderFields(['Host', 'x', 'Idempotency-Key', 'a, b'], 'idempotency-key')).toBe(1);
    expect(countHeaderFields(['AUTHORIZATION', 'Bearer a'], 'authorization')).toBe(1);
    expect(countHeaderFields(['Host', 'x'], 'authorization')).toBe(0);
  });
});
