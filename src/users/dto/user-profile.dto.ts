import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsString, Length, Matches, MaxLength } from 'class-validator';
import { EMAIL_FORMAT, EMAIL_OPTIONS } from '../../http/email-format';

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 1024;

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

  // Not blank, and no NUL (PostgreSQL text cannot hold it): one pattern, so the document states both.
  // eslint-disable-next-line no-control-regex
  @Matches(/^[^\u0000]*[^\s\u0000][^\u0000]*$/, {
    message: 'name must not be blank or contain NUL characters',
  })
  @Length(1, 200)
  @IsString()
  name: string;
}
