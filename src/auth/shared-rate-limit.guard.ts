import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  type ThrottlerModuleOptions,
  type ThrottlerRequest,
} from '@nestjs/throttler';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { RetryAfterThrottlerGuard } from '../http/retry-after-throttler.guard';
import { SharedRateLimitStorage } from './shared-rate-limit-storage';

export const ONE_MINUTE_MS = 60_000;

/** The settings that are a shared limit's budget: requests a minute per client, 0 for none. */
type Budget = 'authRateLimit' | 'exportRateLimit';

/**
 * A rate limit whose counts every replica shares (SharedRateLimitStorage): its `budget` setting's
 * requests a minute per key, then 429 `rate_limited` with `Retry-After` for the rest of a minute's
 * block; a budget of 0 turns it off. Each limit extends it with its budget and its key.
 */
@Injectable()
export abstract class SharedRateLimitGuard extends RetryAfterThrottlerGuard {
  protected abstract readonly budget: Budget;

  /** Each parameter named: the parent's `@InjectThrottlerStorage()` would otherwise be inherited. */
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @Inject(SharedRateLimitStorage) storage: SharedRateLimitStorage,
    @Inject(Reflector) reflector: Reflector,
    @Inject(APP_CONFIG) protected readonly config: AppConfig,
  ) {
    super(options, storage, reflector);
  }

  protected get perMinute(): number {
    return this.config[this.budget];
  }

  protected override async shouldSkip(_context: ExecutionContext): Promise<boolean> {
    return this.perMinute === 0;
  }

  /** This limit's budget and window, not the module's defaults. */
  protected override handleRequest(request: ThrottlerRequest): Promise<boolean> {
    return super.handleRequest({
      ...request,
      limit: this.perMinute,
      ttl: ONE_MINUTE_MS,
      blockDuration: ONE_MINUTE_MS,
    });
  }
}
