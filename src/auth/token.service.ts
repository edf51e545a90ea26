import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { isUuid } from '../database/uuid';
import { countHeaderFields } from '../http/header-fields';
import { UnauthorizedError } from '../http/problem';
import { Caller } from './caller';

/** What issue() hands out; sign-in answers it as its TokenResponse. */
export interface IssuedToken {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

/** How many verified tokens are remembered; the oldest is forgotten first. */
const VERIFIED_TOKENS_KEPT = 10_000;

/** Node keeps the first of repeated Authorization fields: which one a caller meant is unknowable. */
const ONE_AUTHORIZATION = 'Send one Authorization header.';

/** RFC 9110 §11.1: the scheme is case-insensitive; RFC 6750: one or more spaces before the token. */
const BEARER = /^bearer +(\S+)$/i;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** HS256 access tokens; verification pins the algorithm, so `alg: none` and RS/HS confusion fail. */
@Injectable()
export class TokenService {
  /**
   * Tokens already verified, until they expire: a frontend sends the same token with every
   * request, and checking it again (decode, JSON, HMAC) is a visible share of a cheap request.
   */
  private readonly verified = new Map<string, Required<Caller>>();

  constructor(
    private readonly jwt: JwtService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async issue(userId: string): Promise<IssuedToken> {
    const expiresIn = this.config.accessTokenTtlSeconds;
    const accessToken = await this.jwt.signAsync(
      { sub: userId },
      { algorithm: 'HS256', expiresIn },
    );
    return { accessToken, tokenType: 'Bearer', expiresIn };
  }

  /** The caller of `request`; null without an Authorization header. */
  callerOf(request: FastifyRequest): Promise<Caller | null> {
    if (countHeaderFields(request.raw.rawHeaders, 'authorization') > 1)
      return Promise.reject(new UnauthorizedError(ONE_AUTHORIZATION));
    return this.callerFrom(request.headers.authorization);
  }

  /** The caller named by `Authorization: Bearer <token>`; null when the header is absent. */
  async callerFrom(authorization: string | undefined): Promise<Caller | null> {
    if (authorization === undefined) return null;
    const match = BEARER.exec(authorization);
    if (!match)
      throw new UnauthorizedError('The Authorization header must be "Bearer <accessToken>".');
    if (!JWT_SHAPE.test(match[1]))
      throw new UnauthorizedError('The access token is invalid or expired.');
    return this.verifiedCaller(match[1]);
  }

  private async verifiedCaller(token: string): Promise<Caller> {
    const known = this.verified.get(token);
    if (known && known.tokenExpiresAtMs > Date.now()) return known;
    try {
      const payload = await this.jwt.verifyAsync<{ sub?: unknown; exp?: number; iat?: number }>(
        token,
        { algorithms: ['HS256'] },
      );
      if (typeof payload.sub !== 'string' || !isUuid(payload.sub)) throw new Error('bad subject');
      // Every token this service signs has both: without `exp` a token would be good forever, and
      // without `iat` its age, which ACCESS_TOKEN_TTL bounds too, would be unknown.
      if (typeof payload.exp !== 'number' || typeof payload.iat !== 'number')
        throw new Error('no exp or iat');
      const expiresAtMs = this.expiryOf(payload.exp, payload.iat);
      if (expiresAtMs <= Date.now()) throw new Error('past the current lifetime');
      const caller = {
        userId: payload.sub,
        tokenIssuedAtMs: payload.iat * 1000,
        tokenExpiresAtMs: expiresAtMs,
      };
      this.remember(token, caller);
      return caller;
    } catch {
      this.verified.delete(token);
      throw new UnauthorizedError('The access token is invalid or expired.');
    }
  }

  /**
   * A token ends at its `exp`, or once it is older than ACCESS_TOKEN_TTL, whichever comes first:
   * shortening the setting (after a leak, or a policy change) shortens the tokens already out
   * too, not only those signed afterwards.
   */
  private expiryOf(exp: number, iat: number): number {
    return Math.min(exp, iat + this.config.accessTokenTtlSeconds) * 1000;
  }

  private remember(token: string, caller: Required<Caller>) {
    if (this.verified.size >= VERIFIED_TOKENS_KEPT)
      this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(token, caller);
  }
}
