import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { isUuid } from '../database/uuid';
import { UnauthorizedError } from '../http/problem';
import { Caller } from './caller';
import { TokenResponse } from './dto/token.response';

/** HS256 access tokens; verification pins the algorithm, so `alg: none` and RS/HS confusion fail. */
@Injectable()
export class TokenService {
  constructor(
    private readonly jwt: JwtService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async issue(userId: string): Promise<TokenResponse> {
    const expiresIn = this.config.accessTokenTtlSeconds;
    const accessToken = await this.jwt.signAsync(
      { sub: userId },
      { algorithm: 'HS256', expiresIn },
    );
    return { accessToken, tokenType: 'Bearer', expiresIn };
  }

  /** The caller named by `Authorization: Bearer <token>`; null when the header is absent. */
  async callerFrom(authorization: string | undefined): Promise<Caller | null> {
    if (authorization === undefined) return null;
    const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(authorization);
    if (!match)
      throw new UnauthorizedError('The Authorization header must be "Bearer <accessToken>".');
    try {
      const payload = await this.jwt.verifyAsync<{ sub?: unknown }>(match[1], {
        algorithms: ['HS256'],
      });
      if (typeof payload.sub !== 'string' || !isUuid(payload.sub)) throw new Error('bad subject');
      return { userId: payload.sub };
    } catch {
      throw new UnauthorizedError('The access token is invalid or expired.');
    }
  }
}
