import { Body, Controller, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AuthRateLimitGuard } from '../auth/auth-rate-limit';
import { Public } from '../auth/caller';
import { ApiProblem, ApiProblems } from '../http/openapi.decorators';
import { SignInDto } from './dto/sign-in.dto';
import { TokenResponse } from './dto/token.response';
import { SignInService } from './sign-in.service';

@ApiTags('auth')
@Controller('api/auth')
export class SignInController {
  constructor(private readonly signIns: SignInService) {}

  @Public({ ignoresToken: true })
  @UseGuards(AuthRateLimitGuard)
  @Post('token')
  // Keeps the published id (from the old AuthController), which clients' generated types use.
  @ApiOperation({
    operationId: 'Auth_token',
    summary: 'Sign in: an access token for email and password',
  })
  @ApiResponse({ status: 200, type: TokenResponse, description: 'Signed in.' })
  @ApiProblems(400, 429, 503)
  // The SPEC's 401, without the challenge RFC 9110 requires of one: this route takes no
  // Authorization, so no scheme would apply, and Basic would open a browser's password dialog.
  @ApiProblem(
    401,
    [],
    'Wrong email or password (`invalid_credentials`), one answer for both; no `WWW-Authenticate`: this route takes no `Authorization`.',
  )
  @HttpCode(200)
  async token(
    @Body() input: SignInDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponse> {
    void reply.header('Cache-Control', 'no-store');
    return this.signIns.signIn(input.email, input.password);
  }
}
