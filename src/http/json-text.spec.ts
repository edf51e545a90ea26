import { jsonRefusal, loneSurrogateField } from './json-text';

const parsed = (json: string) => [json, JSON.parse(json)] as const;

describe('loneSurrogateField', () => {
  it.each([
    ['a lone high surrogate in a string', '{"note":"a\\ud800b"}', 'note'],
    ['a lone low surrogate in an item', '{"items":[{"sku":"x"},{"sku":"\\uDC00"}]}', 'items.1.sku'],
    ['a lone surrogate in a key', '{"\\ud800":1}', '\ud800'],
    ['a pair reversed', '{"name":"\\ude00\\ud83d"}', 'name'],
  ])('names the field of %s', (_case, json, field) => {
    expect(loneSurrogateField(...parsed(json))).toBe(field);
  });

  it.each([
    ['escaped pairs (an emoji)', '{"note":"\\ud83d\\ude00"}'],
    ['raw non-ASCII text', '{"note":"é 😀"}'],
    ['no escapes at all', '{"items":[{"sku":"A","quantity":1}]}'],
    ['other escapes', '{"note":"\\u00e9\\n\\\\ud800"}'],
  ])('finds none in %s', (_case, json) => {
    expect(loneSurrogateField(...parsed(json))).toBeNull();
  });
});

describe('jsonRefusal', () => {
  it.each([
    ['text that is no JSON', '{"email": ', 'the body is not valid JSON'],
    ['an empty body', ' \n', 'the body is empty'],
    [
      'a body of Unicode whitespace, which JSON does not take',
      '\u00a0',
      'the body is not valid JSON',
    ],
    [
      'a __proto__ key',
      '\ufeff{"__proto__":{"admin":true}}',
      'the body must not hold a __proto__ key, nor a constructor with a prototype',
    ],
  ])('says what is wrong with %s', (_case, json, message) => {
    expect(jsonRefusal(json).errors).toEqual([{ field: '', message }]);
  });
});
