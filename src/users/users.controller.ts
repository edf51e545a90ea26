import {
  Body,
  Controller,
  Get,
  Headers,
  Param,
  Post,
  Put,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthRateLimitGuard } from '../auth/auth-rate-limit';
import { type Caller, CurrentCaller, Public } from '../auth/caller';
import { ApiHeader, ApiResponse, ApiTags } from '@nestjs/swagger';
import {
  ApiBearer,
  ApiCreate,
  ApiOptionalBearer,
  ApiProblems,
  ApiRead,
  CREATED_HEADERS,
} from '../http/openapi.decorators';
import { headers } from '../http/openapi.headers';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { IdempotencyService, type IdempotentRequest } from '../idempotency/idempotency.service';
import { createdOutcome, sendOutcome } from '../http/outcome';
import { ResourceUrls } from '../http/resource-urls';
import { replyUpdated, replyWithEtag } from '../http/responses';
import { UuidPipe } from '../http/uuid.pipe';
import { CreateUserDto } from './dto/create-user.dto';
import { PutUserDto } from './dto/put-user.dto';
import { UserResponse } from './dto/user.response';
import { UsersService } from './users.service';

@ApiTags('users')
@Controller('api/users')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly urls: ResourceUrls,
    private readonly idempotency: IdempotencyService,
  ) {}

  @Public()
  @UseGuards(AuthRateLimitGuard)
  @Post()
  @ApiCreate(UserResponse, {
    idempotencyKey: 'optional',
    problems: [400, 401, 413, 415, 422, 429],
    storedConflicts: ['email_taken'],
  })
  async signUp(
    @Body() input: CreateUserDto,
    @Idempotent({ required: false }) idempotent: IdempotentRequest | null,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const { outcome, replayed } = await this.idempotency.execute(
      idempotent,
      async () => {
        const { user, write } = await this.users.planSignUp(input);
        return { outcome: createdOutcome(this.urls.to(`/api/users/${user.id}`), user), write };
      },
      { lookUpFirst: true },
    );
    return sendOutcome(reply, outcome, replayed);
  }

  @Get(':id')
  @ApiBearer()
  @ApiRead(UserResponse)
  async get(
    @Param('id', UuidPipe) id: string,
    @CurrentCaller() caller: Caller,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserResponse | undefined> {
    return replyWithEtag(request, reply, await this.users.getOwn(caller, id));
  }

  @Public()
  @UseGuards(AuthRateLimitGuard)
  @Put(':id')
  @ApiOptionalBearer()
  @ApiHeader({
    name: 'If-Match',
    required: false,
    description: 'Replace only if the user still has this ETag.',
  })
  @ApiHeader({
    name: 'If-None-Match',
    required: false,
    description: '`*`: create only, never replace.',
  })
  @ApiResponse({
    status: 201,
    type: UserResponse,
    description: 'Created at this URI (public; password required).',
    headers: CREATED_HEADERS,
  })
  @ApiResponse({
    status: 200,
    type: UserResponse,
    description: 'Replaced name and email (that user only).',
    headers: headers('ETag'),
  })
  @ApiProblems(400, 401, 404, 409, 412, 429, 503)
  async put(
    @Param('id', UuidPipe) id: string,
    @Body() input: PutUserDto,
    @CurrentCaller() caller: Caller | null,
    @Headers('if-match') ifMatch: string | undefined,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserResponse | string> {
    const { created, user } = await this.users.put(id, input, caller, { ifMatch, ifNoneMatch });
    if (created)
      return sendOutcome(reply, createdOutcome(this.urls.to(`/api/users/${user.id}`), user));
    return replyUpdated(reply, user);
  }
}
