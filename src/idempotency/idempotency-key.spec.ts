import fc from 'fast-check';
import {
  IDEMPOTENCY_KEY_PATTERN,
  IdempotencyKeyInvalidError,
  parseIdempotencyKey,
} from './idempotency-key';

describe('parseIdempotencyKey', () => {
  it.each([
    ['"abc"', 'abc'],
    ['abc', 'abc'],
    ['  "8e03978e-40d5-43e8-bc93-6894a57f9324"  ', '8e03978e-40d5-43e8-bc93-6894a57f9324'],
    ['"a\\"b\\\\c"', 'a"b\\c'],
    ['x'.repeat(255), 'x'.repeat(255)],
    ['order:2024/07#1', 'order:2024/07#1'],
  ])('reads %s as the key %s', (fieldValue, key) =>
    expect(parseIdempotencyKey(fieldValue)).toBe(key),
  );

  it.each([
    ['an empty value', ''],
    ['an empty sf-string', '""'],
    ['256 characters', 'x'.repeat(256)],
    ['a quoted 256 characters', `"${'x'.repeat(256)}"`],
    ['a space inside', 'a b'],
    ['a non-ASCII character', 'clé'],
    ['a control character', 'a\tb'],
    ['an unterminated sf-string', '"abc'],
    ['text after the closing quote', '"abc"def'],
    ['an invalid escape', '"a\\nb"'],
  ])('refuses %s', (_case, fieldValue) => {
    expect(() => parseIdempotencyKey(fieldValue)).toThrow(IdempotencyKeyInvalidError);
  });
});

describe('IDEMPOTENCY_KEY_PATTERN (the OpenAPI document states the parser)', () => {
  const accepted = (fieldValue: string) => {
    try {
      parseIdempotencyKey(fieldValue);
      return true;
    } catch {
      return false;
    }
  };
  const pattern = new RegExp(IDEMPOTENCY_KEY_PATTERN, 'u');
  // Field values as HTTP delivers them: no whitespace around, some quoted, some with escapes.
  const fieldValue = fc.oneof(
    fc.string({ unit: fc.constantFrom('a', '"', '\\', ' ', '~', 'é', '\t'), maxLength: 8 }),
    fc.string({ unit: 'grapheme-ascii', maxLength: 300 }),
    fc.string({ unit: 'grapheme-ascii', maxLength: 300 }).map((key) => `"${key}"`),
  );

  it('accepts exactly the field values the parser accepts', () => {
    fc.assert(
      fc.property(
        fieldValue.filter((value) => value === value.trim()),
        (value) => pattern.test(value) === accepted(value),
      ),
      { numRuns: 2_000 },
    );
  });
});
