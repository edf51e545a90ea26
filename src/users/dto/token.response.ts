import { ApiProperty } from '@nestjs/swagger';
import type { IssuedToken } from '../../auth/token.service';

export class TokenResponse implements IssuedToken {
  /** HS256 JWT; send it as `Authorization: Bearer <accessToken>`. */
  accessToken: string;
  @ApiProperty({ enum: ['Bearer'] })
  tokenType: 'Bearer';
  /** Seconds until the token expires (ACCESS_TOKEN_TTL). */
  @ApiProperty({ type: 'integer', example: 900 })
  expiresIn: number;
}
