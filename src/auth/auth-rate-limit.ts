import { Injectable } from '@nestjs/common';
import { SharedRateLimitGuard } from './shared-rate-limit.guard';

/**
 * Sign-up and sign-in requests per minute per client IP (AUTH_RATE_LIMIT; 0 turns it off):
 * 429 rate_limited with Retry-After past it. Counted in PostgreSQL, so the limit is one for all
 * replicas together; behind a proxy, set TRUST_PROXY so the client's IP is the one counted.
 * One budget per IP for sign-up and sign-in together.
 */
@Injectable()
export class AuthRateLimitGuard extends SharedRateLimitGuard {
  protected readonly budget = 'authRateLimit';
  protected readonly keyPrefix = 'auth';

  /** The problem's detail; the library's default names its exception class. */
  protected override async getErrorMessage(): Promise<string> {
    return 'Too many sign-up or sign-in requests from this address; retry after Retry-After seconds.';
  }
}
