import { Body, Controller, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../http/openapi.decorators';
import { AuthRateLimitGuard } from './auth-rate-limit';
import { Public } from './caller';
import { TokenResponse } from './dto/token.response';
import { AuthService } from './auth.service';
import { SignInDto } from './dto/sign-in.dto';

@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @UseGuards(AuthRateLimitGuard)
  @Post('token')
  @ApiResponse({ status: 200, type: TokenResponse, description: 'Signed in.' })
  @ApiProblems(400, 401, 429, 503)
  @HttpCode(200)
  async token(
    @Body() input: SignInDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponse> {
    void reply.header('Cache-Control', 'no-store');
    return this.auth.signIn(input.email, input.password);
  }
}
