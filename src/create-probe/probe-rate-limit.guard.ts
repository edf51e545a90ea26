import { ExecutionContext, Injectable } from '@nestjs/common';
import { AuthRateLimitGuard } from '../auth/auth-rate-limit';

/** How often an instance runs the probe at most: a monitor or two, and a person trying it. */
export const PROBE_LIMIT = { limit: 5, ttl: 1_000 };

/**
 * The create probe is public (monitors carry no token) and writes to the database before it rolls
 * back, so one budget for every caller at this process (PROBE_LIMIT, whatever AUTH_RATE_LIMIT
 * says) keeps it from being a way to load the database: past it, 429 with Retry-After.
 */
@Injectable()
export class ProbeRateLimitGuard extends AuthRateLimitGuard {
  protected override async shouldSkip(): Promise<boolean> {
    return false;
  }

  protected override async getErrorMessage(): Promise<string> {
    return `The create probe runs at most ${PROBE_LIMIT.limit} times a second at each instance; retry after Retry-After seconds.`;
  }

  protected override generateKey(
    _context: ExecutionContext,
    _tracker: string,
    throttlerName: string,
  ): string {
    return `create-probe:${throttlerName}`;
  }
}
