import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Observable, of } from 'rxjs';
import { sendOutcome } from '../http/outcome';
import { readIdempotentRequest } from './idempotent.decorator';
import { IdempotencyService } from './idempotency.service';

/**
 * Answers a retry from the answers this process stored lately, before validation and the
 * handler run (interceptors come before pipes). Anything else, a malformed key included, goes on
 * to the handler, whose @Idempotent() parameter reports it.
 */
@Injectable()
export class ReplayFromMemory implements NestInterceptor {
  constructor(private readonly idempotency: IdempotencyService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const replay = this.replay(http.getRequest<FastifyRequest>());
    if (!replay) return next.handle();
    return of(sendOutcome(http.getResponse<FastifyReply>(), replay.outcome, true));
  }

  private replay(request: FastifyRequest) {
    let idempotent;
    try {
      idempotent = readIdempotentRequest(request, { required: false });
    } catch {
      return null;
    }
    return idempotent ? this.idempotency.replayFromMemory(idempotent) : null;
  }
}
