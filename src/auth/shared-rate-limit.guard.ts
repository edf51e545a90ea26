import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  type ThrottlerModuleOptions,
  type ThrottlerRequest,
} from '@nestjs/throttler';
import { RetryAfterThrottlerGuard } from '../http/retry-after-throttler.guard';
import { SharedRateLimitStorage } from './shared-rate-limit-storage';

const ONE_MINUTE_MS = 60_000;

/**
 * A rate limit whose counts every replica shares (SharedRateLimitStorage): `perMinute()` requests
 * a minute per key, then 429 `rate_limited` with `Retry-After` for the rest of a minute's block;
 * a budget of 0 turns it off. Each limit extends it with its budget and its key.
 */
@Injectable()
export abstract class SharedRateLimitGuard extends RetryAfterThrottlerGuard {
  /** Each parameter named: the parent's `@InjectThrottlerStorage()` would otherwise be inherited. */
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @Inject(SharedRateLimitStorage) storage: SharedRateLimitStorage,
    @Inject(Reflector) reflector: Reflector,
  ) {
    super(options, storage, reflector);
  }

  /** The budget, read from the configuration on each request. */
  protected abstract perMinute(): number;

  protected override async shouldSkip(_context: ExecutionContext): Promise<boolean> {
    return this.perMinute() === 0;
  }

  /** This limit's budget and window, not the module's defaults. */
  protected override handleRequest(request: ThrottlerRequest): Promise<boolean> {
    return super.handleRequest({
      ...request,
      limit: this.perMinute(),
      ttl: ONE_MINUTE_MS,
      blockDuration: ONE_MINUTE_MS,
    });
  }
}
