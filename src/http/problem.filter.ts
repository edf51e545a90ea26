import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { FastifyRequest, FastifyReply } from 'fastify';
import { methodNotAllowed } from './method-not-allowed';
import { sendError } from './send-problem';

/**
 * The one global filter: every error a Nest handler throws becomes problem+json. A request no
 * route serves (Nest's not-found handler throws for it) gets 405 where its path takes other methods.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost) {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    sendError(methodNotAllowed(request) ?? error, request, http.getResponse<FastifyReply>());
  }
}
