import { Body, Controller, Get, Headers, Param, Post, Put, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Caller, CurrentCaller, Public } from '../auth/caller';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { IdempotencyService, type IdempotentRequest } from '../idempotency/idempotency.service';
import { createdOutcome, sendOutcome } from '../http/outcome';
import { ResourceUrls } from '../http/resource-urls';
import { replyCreated, replyUpdated, replyWithEtag } from '../http/responses';
import { UuidPipe } from '../http/uuid.pipe';
import { CreateUserDto } from './dto/create-user.dto';
import { PutUserDto } from './dto/put-user.dto';
import { UserResponse } from './dto/user.response';
import { UsersService } from './users.service';

@Controller('api/users')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly urls: ResourceUrls,
    private readonly idempotency: IdempotencyService,
  ) {}

  @Public()
  @Post()
  async signUp(
    @Body() input: CreateUserDto,
    @Idempotent({ required: false }) idempotent: IdempotentRequest | null,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const { outcome, replayed } = await this.idempotency.execute(idempotent, async (tx) => {
      const user = await this.users.signUp(input, tx);
      return createdOutcome(this.urls.to(`/api/users/${user.id}`), user);
    });
    return sendOutcome(reply, outcome, replayed);
  }

  @Get(':id')
  async get(
    @Param('id', UuidPipe) id: string,
    @CurrentCaller() caller: Caller,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserResponse | undefined> {
    return replyWithEtag(request, reply, await this.users.getOwn(caller, id));
  }

  @Public()
  @Put(':id')
  async put(
    @Param('id', UuidPipe) id: string,
    @Body() input: PutUserDto,
    @CurrentCaller() caller: Caller | null,
    @Headers('if-match') ifMatch: string | undefined,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserResponse> {
    const { created, user } = await this.users.put(id, input, caller, { ifMatch, ifNoneMatch });
    if (created) return replyCreated(reply, this.urls.to(`/api/users/${user.id}`), user);
    return replyUpdated(reply, user);
  }
}
