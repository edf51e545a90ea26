import { IsString, Length } from 'class-validator';
import { PASSWORD_MAX, PASSWORD_MIN, UserProfileDto } from './user-profile.dto';

export class CreateUserDto extends UserProfileDto {
  @IsString()
  @Length(PASSWORD_MIN, PASSWORD_MAX)
  password: string;
}
