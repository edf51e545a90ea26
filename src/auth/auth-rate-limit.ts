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
import { RetryAfterThrottlerGuard } from '../http/retry-after-throttler.guard';

const ONE_MINUTE_MS = 60_000;

/**
 * Sign-up and sign-in requests per minute per client IP (AUTH_RATE_LIMIT; 0 turns it off):
 * 429 rate_limited with Retry-After past it. Counted per process, so N replicas allow up to N
 * times the limit; behind a proxy, set TRUST_PROXY so the client's IP is the one counted.
 */
@Injectable()
export class AuthRateLimitGuard extends RetryAfterThrottlerGuard {
  @Inject(APP_CONFIG) private readonly config: AppConfig;

  protected override async shouldSkip(_context: ExecutionContext): Promise<boolean> {
    return this.config.authRateLimit === 0;
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
      providers: [AuthRateLimitGuard],
      exports: [ThrottlerModule, AuthRateLimitGuard],
    };
  }
}
