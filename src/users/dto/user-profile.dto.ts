import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsString, Length, Matches, MaxLength } from 'class-validator';
import { EMAIL_FORMAT, EMAIL_OPTIONS } from '../../http/email-format';

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 1024;

/**
 * Characters a name shown on a page must not hold: C0 and C1 controls (NUL, which PostgreSQL text
 * cannot hold, line breaks, escapes) and the bidirectional embeddings, overrides and isolates that
 * make text read other than it is stored ("Trojan Source").
 */
const FORBIDDEN = '\\u0000-\\u001f\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069';
/** What does not show: white space, and zero-width and format characters (ZWSP, ZWJ, marks, BOM). */
const INVISIBLE = '\\s\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2060-\\u2064\\ufeff';
/** One pattern, so the document states every rule: something visible, nothing forbidden. */
const DISPLAYABLE_NAME = new RegExp(
  `^[^${FORBIDDEN}]*[^${FORBIDDEN}${INVISIBLE}][^${FORBIDDEN}]*$`,
);

/**
 * The fields a user may set on their own account. Each property's rules are checked bottom-up and
 * the first it breaks is the answer: the most basic (its type) is written nearest the property.
 */
export class UserProfileDto {
  // IsEmail takes internationalized addresses (RFC 6531): JSON Schema's idn-email, not its email.
  @ApiProperty({ format: EMAIL_FORMAT })
  @MaxLength(254)
  @IsEmail(EMAIL_OPTIONS, { message: 'email must be an email address' })
  @IsString()
  email: string;

  @ApiProperty({ pattern: DISPLAYABLE_NAME.source }) // the plugin reads only a literal's pattern
  @Matches(DISPLAYABLE_NAME, {
    message:
      'name must have a visible character and no control or bidirectional-override characters',
  })
  @Length(1, 200)
  @IsString()
  name: string;
}
