import { IsString, Length } from 'class-validator';
import { IsOmittable } from '../../http/validation';
import { PASSWORD_MAX, PASSWORD_MIN, UserProfileDto } from './user-profile.dto';

/**
 * PUT /api/users/{id}: creating at the URI needs a password; replacing an existing user changes
 * only `email` and `name`, and a password there is refused rather than silently ignored.
 */
export class PutUserDto extends UserProfileDto {
  @Length(PASSWORD_MIN, PASSWORD_MAX)
  @IsString() // checked first, once IsOmittable lets a present value in (user-profile.dto.ts)
  @IsOmittable()
  password?: string;
}
