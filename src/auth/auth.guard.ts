import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { FastifyRequest } from 'fastify';
import { UnauthorizedError } from '../http/problem';
import { Access, IS_PUBLIC } from './caller';
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
    request.caller =
      access === 'public, token ignored' ? null : await this.tokens.callerOf(request);
    if (!access && !request.caller) throw new UnauthorizedError();
    return true;
  }
}
