import { ExecutionContext, Global, Inject, Injectable, Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { RateLimitsRepository } from './rate-limits.repository';
import { SharedRateLimitGuard } from './shared-rate-limit.guard';
import { RateLimitSweeper, SharedRateLimitStorage } from './shared-rate-limit-storage';

const ONE_MINUTE_MS = 60_000;

/**
 * Sign-up and sign-in requests per minute per client IP (AUTH_RATE_LIMIT; 0 turns it off):
 * 429 rate_limited with Retry-After past it. Counted in PostgreSQL, so the limit is one for all
 * replicas together; behind a proxy, set TRUST_PROXY so the client's IP is the one counted.
 */
@Injectable()
export class AuthRateLimitGuard extends SharedRateLimitGuard {
  @Inject(APP_CONFIG) private readonly config: AppConfig;

  protected perMinute(): number {
    return this.config.authRateLimit;
  }

  /** The problem's detail; the library's default names its exception class. */
  protected override async getErrorMessage(): Promise<string> {
    return 'Too many sign-up or sign-in requests from this address; retry after Retry-After seconds.';
  }

  /** One budget per IP for all the guarded routes together, not one per route. */
  protected override generateKey(
    _context: ExecutionContext,
    tracker: string,
    throttlerName: string,
  ): string {
    return `auth:${throttlerName}:${tracker}`;
  }
}

/**
 * The rate limits: @nestjs/throttler, its counts shared by every replica (SharedRateLimitStorage)
 * for the sign-up and sign-in limit and for features' own limits (SharedRateLimitGuard), the
 * library's in-memory storage for the create probe's per-instance limit. Every guard sets its own
 * budget (a route's @Throttle, or a shared guard's perMinute), so the module's default is never read.
 */
@Global()
@Module({
  imports: [
    ThrottlerModule.forRoot({
      throttlers: [{ name: 'default', ttl: ONE_MINUTE_MS, limit: 1 }],
      setHeaders: false,
    }),
  ],
  providers: [AuthRateLimitGuard, SharedRateLimitStorage, RateLimitsRepository, RateLimitSweeper],
  exports: [ThrottlerModule, AuthRateLimitGuard, SharedRateLimitStorage],
})
export class RateLimitModule {}
