import { IsString, MaxLength } from 'class-validator';

/** Each property's rules are checked bottom-up, the type first (see user-profile.dto.ts). */
export class SignInDto {
  @MaxLength(254)
  @IsString()
  email: string;

  @MaxLength(1024)
  @IsString()
  password: string;
}
