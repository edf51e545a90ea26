import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { FastifyRequest, FastifyReply } from 'fastify';
import { unroutedRequestError } from './unrouted-request';
import { sendError } from './send-problem';

/**
 * The one global filter: every error a Nest handler throws becomes problem+json. A request no
 * route serves (Nest's not-found handler throws for it) gets 405 where its path takes other
 * methods, else 404 `route_not_found`, whatever the error.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost) {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const answered = unroutedRequestError(request) ?? error;
    sendError(answered, request, http.getResponse<FastifyReply>());
  }
}
