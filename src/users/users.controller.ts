import { Body, Controller, Get, Headers, Param, Post, Put, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Caller, CurrentCaller, Public } from '../auth/caller';
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
  ) {}

  @Public()
  @Post()
  async signUp(
    @Body() input: CreateUserDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserResponse> {
    const user = await this.users.signUp(input);
    return replyCreated(reply, this.urls.to(`/api/users/${user.id}`), user);
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
