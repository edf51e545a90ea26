import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { FastifyRequest } from 'fastify';
import { UnauthorizedError } from '../http/problem';
import { Access, Caller, IS_PUBLIC } from './caller';
import { TokenService } from './token.service';

/** Global guard: every route needs a valid Bearer token unless marked @Public(). */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly tokens: TokenService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const access = this.reflector.getAllAndOverride<Access>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    request.caller = await this.callerFor(request, access);
    if (!access && !request.caller) throw new UnauthorizedError();
    return true;
  }

  /** The caller a route's access reads: a public route takes a token it cannot verify as none. */
  private callerFor(request: FastifyRequest, access: Access): Promise<Caller | null> {
    if (access === 'public, token ignored') return Promise.resolve(null);
    const caller = this.tokens.callerOf(request);
    return access === 'public' ? caller.catch(anonymousIfUnauthorized) : caller;
  }
}

function anonymousIfUnauthorized(error: unknown): null {
  if (error instanceof UnauthorizedError) return null;
  throw error;
}
