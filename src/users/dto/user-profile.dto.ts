import { IsEmail, IsString, Length, Matches, MaxLength } from 'class-validator';

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 1024;

/** The fields a user may set on their own account. */
export class UserProfileDto {
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(254)
  email: string;

  @IsString()
  @Length(1, 200)
  // Not blank, and no NUL (PostgreSQL text cannot hold it): one pattern, so the document states both.
  // eslint-disable-next-line no-control-regex
  @Matches(/^[^\u0000]*[^\s\u0000][^\u0000]*$/, {
    message: 'name must not be blank or contain NUL characters',
  })
  name: string;
}
