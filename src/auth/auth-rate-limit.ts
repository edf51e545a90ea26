import {
  DynamicModule,
  ExecutionContext,
  Global,
  Inject,
  Injectable,
  Module,
} from '@nestjs/common';
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

@Global()
@Module({})
export class AuthRateLimitModule {
  static perMinute(limit: number): DynamicModule {
    return {
      module: AuthRateLimitModule,
      imports: [
        ThrottlerModule.forRoot({
          throttlers: [{ name: 'default', ttl: ONE_MINUTE_MS, limit: Math.max(limit, 1) }],
          setHeaders: false,
        }),
      ],
      // The create probe's guard keeps the library's in-memory storage: its limit is per instance.
      providers: [
        AuthRateLimitGuard,
        SharedRateLimitStorage,
        RateLimitsRepository,
        RateLimitSweeper,
      ],
      exports: [ThrottlerModule, AuthRateLimitGuard, SharedRateLimitStorage],
    };
  }
}
