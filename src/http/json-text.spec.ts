import { loneSurrogateField } from './json-text';

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
