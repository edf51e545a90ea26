import { DomainError } from '../http/problem';

export const MAX_KEY_LENGTH = 255;

export class IdempotencyKeyInvalidError extends DomainError {
  constructor(reason: string) {
    super(400, 'idempotency_key_invalid', 'Invalid Idempotency-Key', `Idempotency-Key ${reason}.`);
  }
}

export class IdempotencyKeyMissingError extends DomainError {
  constructor() {
    super(
      400,
      'idempotency_key_missing',
      'Idempotency-Key required',
      'This endpoint needs an Idempotency-Key header.',
    );
  }
}

const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

/**
 * What `parseIdempotencyKey` accepts, as one regular expression for the OpenAPI document (HTTP
 * strips the whitespace around a field value): a bare key that does not start with a quote, or an
 * sf-string whose characters are visible ASCII, `\"` and `\\` escapes counting as one.
 */
export const IDEMPOTENCY_KEY_PATTERN =
  '^(?:[\\x21\\x23-\\x7e][\\x21-\\x7e]{0,254}|"(?:[\\x21\\x23-\\x5b\\x5d-\\x7e]|\\\\["\\\\]){1,255}")$';
/** The longest field value: 255 escaped characters between quotes. */
export const IDEMPOTENCY_KEY_MAX_FIELD_LENGTH = 2 + 2 * MAX_KEY_LENGTH;

/**
 * Reads an Idempotency-Key field value: the draft's sf-string (`"abc"`, RFC 8941 §3.3.3, with
 * `\"` and `\\` escapes) or the bare form (`abc`); both name the key `abc`. Keys are 1..255 visible
 * ASCII characters.
 */
export function parseIdempotencyKey(fieldValue: string): string {
  const value = fieldValue.trim();
  const key = value.startsWith('"') ? unquote(value) : value;
  if (key.length === 0) throw new IdempotencyKeyInvalidError('must not be empty');
  if (key.length > MAX_KEY_LENGTH)
    throw new IdempotencyKeyInvalidError(`must be at most ${MAX_KEY_LENGTH} characters`);
  if (!VISIBLE_ASCII.test(key))
    throw new IdempotencyKeyInvalidError('must be visible ASCII characters only');
  return key;
}

function unquote(value: string): string {
  let key = '';
  for (let i = 1; i < value.length; i++) {
    const char = value[i];
    if (char === '"') {
      if (i !== value.length - 1)
        throw new IdempotencyKeyInvalidError('has characters after the closing quote');
      return key;
    }
    if (char === '\\') {
      const escaped = value[++i];
      if (escaped !== '"' && escaped !== '\\')
        throw new IdempotencyKeyInvalidError('has an invalid escape');
      key += escaped;
    } else {
      key += char;
    }
  }
  throw new IdempotencyKeyInvalidError('is missing its closing quote');
}
