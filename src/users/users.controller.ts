import { Body, Controller, Get, Headers, Post, Put, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AuthRateLimitGuard } from '../auth/auth-rate-limit';
import { type Caller, CurrentCaller, Public } from '../auth/caller';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiBearer, ApiCreate, ApiRead, ApiReadByToken } from '../http/openapi.decorators';
import { Idempotency, Idempotent } from '../idempotency/idempotent.decorator';
import type { IdempotentRequest } from '../idempotency/idempotent-request';
import { sendOutcome } from '../http/outcome';
import { JsonBody, replyUpdated, replyWithEtag } from '../http/responses';
import { UuidParam } from '../http/uuid.pipe';
import { CreateUserDto } from './dto/create-user.dto';
import { PutUserDto } from './dto/put-user.dto';
import { ApiPutUser } from './users.openapi';
import { UserResponse } from './dto/user.response';
import { UsersService } from './users.service';

@ApiTags('users')
@Controller('api/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Public({ ignoresToken: true })
  @UseGuards(AuthRateLimitGuard)
  @Post()
  @ApiOperation({ summary: 'Sign up' })
  @Idempotent({ required: false })
  @ApiCreate(UserResponse, {
    problems: [400, 413, 415, 422, 429],
    storedConflicts: ['email_taken'],
  })
  async signUp(
    @Body() input: CreateUserDto,
    @Idempotency() idempotent: IdempotentRequest | null,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const { outcome, replayed } = await this.users.signUp(input, idempotent);
    return sendOutcome(reply, outcome, replayed);
  }

  /** For a client that holds a token but not its user's id: after a sign-in, the token is all. */
  @Get('me')
  @ApiOperation({ summary: 'Your own user, named by your access token' })
  @ApiBearer()
  @ApiReadByToken(UserResponse)
  async me(
    @CurrentCaller() caller: Caller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<JsonBody<UserResponse> | undefined> {
    return replyWithEtag(reply, await this.users.getOwn(caller, caller.userId));
  }

  @Get(':id')
  @ApiOperation({ summary: 'Your own user' })
  @ApiBearer()
  @ApiRead(UserResponse)
  async get(
    @UuidParam() id: string,
    @CurrentCaller() caller: Caller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<JsonBody<UserResponse> | undefined> {
    return replyWithEtag(reply, await this.users.getOwn(caller, id));
  }

  @Public()
  @UseGuards(AuthRateLimitGuard)
  @Put(':id')
  @ApiPutUser()
  async put(
    @UuidParam() id: string,
    @Body() input: PutUserDto,
    @CurrentCaller() caller: Caller | null,
    @Headers('if-match') ifMatch: string | undefined,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<JsonBody<UserResponse> | string> {
    const put = await this.users.put(id, input, caller, { ifMatch, ifNoneMatch });
    if ('created' in put) return sendOutcome(reply, put.created);
    return replyUpdated(reply, put.replaced);
  }
}
