import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { SharedRateLimitGuard } from '../auth/shared-rate-limit.guard';
import { UnauthorizedError } from '../http/problem';

/**
 * Exports one user may ask for a minute (EXPORT_RATE_LIMIT; 0 turns it off), all replicas
 * together: each is a job that reads up to all the user's orders and a file kept in storage.
 * Past it, 429 `rate_limited` with `Retry-After`, for the rest of a minute's block. An exact retry
 * of a completed export is answered before it (early replay) and costs nothing; any other request
 * that reaches the route counts, bad ones included.
 */
@Injectable()
export class ExportRateLimitGuard extends SharedRateLimitGuard {
  protected readonly budget = 'exportRateLimit';
  protected readonly keyPrefix = 'order-exports';

  /** The caller, named as the request arrived: a user's budget, whatever their IP. */
  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    const { caller } = request as unknown as FastifyRequest;
    if (!caller) throw new UnauthorizedError(); // only if the route were ever made public
    return caller.userId;
  }

  protected override async getErrorMessage(): Promise<string> {
    return `At most ${this.perMinute} exports a minute for one user; retry after Retry-After seconds.`;
  }
}
