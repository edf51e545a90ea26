import type Ajv from 'ajv';
import isEmail from 'validator/lib/isEmail';

/**
 * How class-validator's IsEmail is called: validator.js's defaults, which take internationalized
 * addresses (a UTF-8 local part, a Unicode domain), as RFC 6531 does.
 */
export const EMAIL_OPTIONS = {};

/**
 * JSON Schema's name for such an address (`email` is ASCII only): what the document says of an
 * email field, and what a JSON Schema validator of that document checks with IsEmail's own test.
 */
export const EMAIL_FORMAT = 'idn-email';

export function addEmailFormat(ajv: Pick<Ajv, 'addFormat'>): void {
  ajv.addFormat(EMAIL_FORMAT, (value: string) => isEmail(value, EMAIL_OPTIONS));
}
