import { IsString, Length } from 'class-validator';
import { PASSWORD_MAX, PASSWORD_MIN, UserProfileDto } from './user-profile.dto';

export class CreateUserDto extends UserProfileDto {
  @Length(PASSWORD_MIN, PASSWORD_MAX)
  @IsString() // checked first: rules run bottom-up (user-profile.dto.ts)
  password: string;
}
