import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Public } from './caller';
import { AuthService } from './auth.service';
import { SignInDto } from './dto/sign-in.dto';
import { IssuedToken } from './token.service';

@Controller('api/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @Post('token')
  @HttpCode(200)
  async token(
    @Body() input: SignInDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<IssuedToken> {
    void reply.header('Cache-Control', 'no-store');
    return this.auth.signIn(input.email, input.password);
  }
}
