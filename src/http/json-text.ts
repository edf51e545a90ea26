import { bodyRefusal, ValidationFailedError } from './problem';

/** A JSON object: not an array, not null, not a bare value. */
export const isJsonObject = (value: unknown): value is object =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A `\uD800`-`\uDFFF` escape: the only way a JSON text (decoded from UTF-8) can carry a lone
 * surrogate, so bodies without one skip the walk below.
 */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;
/** With the `u` flag, `\p{Cs}` matches a surrogate only when it is not half of a pair. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Where `value` (parsed from `json`) holds a lone surrogate, as a field path such as `items.0.sku`;
 * null when it holds none. Such text has no UTF-8 form: stored, it would come back as U+FFFD, so
 * the answer and its ETag would differ from every later read.
 */
export function loneSurrogateField(json: string, value: unknown): string | null {
  return SURROGATE_ESCAPE.test(json) ? findLoneSurrogate(value, '') : null;
}

function findLoneSurrogate(value: unknown, path: string): string | null {
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? path : null;
  if (typeof value !== 'object' || value === null) return null;
  for (const [key, item] of Object.entries(value)) {
    const at = path === '' ? key : `${path}.${key}`;
    const found = LONE_SURROGATE.test(key) ? at : findLoneSurrogate(item, at);
    if (found !== null) return found;
  }
  return null;
}

/** JSON's own whitespace (RFC 8259), not String#trim's Unicode set: a lone U+00A0 is no JSON. */
const JSON_WHITESPACE_ONLY = /^[ \t\n\r]*$/;

/**
 * Why Fastify's parser refused `json`: it is empty (or blank); it is no JSON at all; or JSON.parse
 * reads it, so it held a `__proto__` key, or a `constructor` holding a `prototype` (prototype
 * poisoning, refused outright). Called only once the parser has refused, so valid bodies never
 * pay for it.
 */
export function jsonRefusal(json: string): ValidationFailedError {
  if (JSON_WHITESPACE_ONLY.test(json))
    return bodyRefusal('the body is empty', 'The body is empty.');
  try {
    // Fastify's parser skips a leading byte order mark; JSON.parse would not.
    JSON.parse(json.charCodeAt(0) === 0xfeff ? json.slice(1) : json);
  } catch {
    return bodyRefusal('the body is not valid JSON', 'The body is not valid JSON.');
  }
  const message = 'the body must not hold a __proto__ key, nor a constructor with a prototype';
  return bodyRefusal(message);
}
