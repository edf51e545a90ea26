import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';

/**
 * @nestjs/throttler's guard whose 429 says when to retry (`Retry-After`: until the block ends).
 * The library's own headers are off: its `X-RateLimit-Reset` named the window's end, earlier than
 * the block's, so a client that trusted it was refused again. Each limit's keys start with its
 * `keyPrefix`: one budget per client for all the routes a limit guards, not one per route.
 */
@Injectable()
export abstract class RetryAfterThrottlerGuard extends ThrottlerGuard {
  protected abstract readonly keyPrefix: string;

  protected override generateKey(
    _context: ExecutionContext,
    tracker: string,
    throttlerName: string,
  ): string {
    return `${this.keyPrefix}:${throttlerName}:${tracker}`;
  }

  protected override async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    void context
      .switchToHttp()
      .getResponse<FastifyReply>()
      .header('Retry-After', String(detail.timeToBlockExpire));
    return super.throwThrottlingException(context, detail);
  }
}
