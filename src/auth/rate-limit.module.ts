import { Global, Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { AuthRateLimitGuard } from './auth-rate-limit';
import { RateLimitSweeper } from './rate-limit-sweeper';
import { RateLimitsRepository } from './rate-limits.repository';
import { ONE_MINUTE_MS } from './shared-rate-limit.guard';
import { SharedRateLimitStorage } from './shared-rate-limit-storage';

/**
 * The rate limits: @nestjs/throttler, its counts shared by every replica (SharedRateLimitStorage)
 * for the sign-up and sign-in limit and for features' own limits (SharedRateLimitGuard), the
 * library's in-memory storage for the create probe's per-instance limit. Every guard sets its own
 * budget (a route's @Throttle, or a shared guard's setting), so the module's default is never read.
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
