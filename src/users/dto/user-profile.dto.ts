import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsString, Length, Matches, MaxLength } from 'class-validator';
import { EMAIL_FORMAT, EMAIL_OPTIONS } from '../../http/email-format';
import { BIDI_CONTROLS } from '../../http/text-rules';

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 1024;

/**
 * Characters a name shown on a page must not hold: controls (NUL, which PostgreSQL text cannot
 * hold, line breaks, escapes), the line and paragraph separators, and the bidirectional
 * embeddings, overrides and isolates that make text read other than it is stored ("Trojan Source").
 */
const FORBIDDEN = `\\p{Cc}\\u2028\\u2029${BIDI_CONTROLS}`;
/**
 * What shows nothing by itself: white space, format characters (ZWSP, ZWJ, marks, tags), the
 * other default-ignorable code points (variation selectors, Hangul fillers), combining marks with
 * nothing to combine with, and the blank Braille pattern. A name needs one character besides.
 */
const INVISIBLE = '\\s\\p{M}\\p{Cf}\\p{Default_Ignorable_Code_Point}\\u2800';
/**
 * One pattern, so the document states every rule: something visible, nothing forbidden. Unicode
 * mode (`u`), as JSON Schema validators such as Ajv compile a pattern, for the property classes.
 */
const DISPLAYABLE_NAME = new RegExp(
  `^[^${FORBIDDEN}]*[^${FORBIDDEN}${INVISIBLE}][^${FORBIDDEN}]*$`,
  'u',
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
