import { Injectable } from '@nestjs/common';
import { RetryAfterThrottlerGuard } from '../http/retry-after-throttler.guard';

/** How often an instance runs the probe for one client IP at most: a monitor, or a person trying it. */
export const PROBE_LIMIT = { limit: 5, ttl: 1_000 };

/**
 * The create probe is public (monitors carry no token) and writes to the database before it rolls
 * back, so each client IP has a budget at this process (PROBE_LIMIT, whatever AUTH_RATE_LIMIT
 * says): past it, 429 with Retry-After. Per IP, not one for all, so a flood from elsewhere never
 * refuses the monitor's probe and pages someone.
 */
@Injectable()
export class ProbeRateLimitGuard extends RetryAfterThrottlerGuard {
  protected readonly keyPrefix = 'create-probe';

  protected override async getErrorMessage(): Promise<string> {
    return `The create probe runs at most ${PROBE_LIMIT.limit} times a second for one address at each instance; retry after Retry-After seconds.`;
  }
}
