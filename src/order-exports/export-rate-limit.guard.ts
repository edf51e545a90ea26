import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { SharedRateLimitGuard } from '../auth/shared-rate-limit.guard';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { UnauthorizedError } from '../http/problem';

/**
 * Exports one user may ask for a minute (EXPORT_RATE_LIMIT; 0 turns it off), all replicas
 * together: each is a job that reads up to all the user's orders and a file kept in storage.
 * Past it, 429 `rate_limited` with `Retry-After`, for the rest of a minute's block. Every request
 * that reaches the route counts, a retry with the same key included (as Stripe counts its retries).
 */
@Injectable()
export class ExportRateLimitGuard extends SharedRateLimitGuard {
  @Inject(APP_CONFIG) private readonly config: AppConfig;

  protected perMinute(): number {
    return this.config.exportRateLimit;
  }

  /** The caller, whom the global AuthGuard has named by now: a user's budget, whatever their IP. */
  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    const { caller } = request as unknown as FastifyRequest;
    if (!caller) throw new UnauthorizedError(); // only if the route were ever made public
    return caller.userId;
  }

  protected override generateKey(
    _context: ExecutionContext,
    userId: string,
    throttlerName: string,
  ): string {
    return `order-exports:${throttlerName}:${userId}`;
  }

  protected override async getErrorMessage(): Promise<string> {
    return `At most ${this.config.exportRateLimit} exports a minute for one user; retry after Retry-After seconds.`;
  }
}
