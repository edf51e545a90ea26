import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { type Caller, CurrentCaller } from '../auth/caller';
import { ApiBearer, ApiProblems } from '../http/openapi.decorators';
import { EventPageResponse } from './dto/cloud-event.response';
import { ListEventsQuery } from './dto/list-events.query';
import { EventsService } from './events.service';

@ApiTags('events')
@ApiBearer()
@Controller('api/events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  /** The caller's events, oldest first: every change to their resources, once each. */
  @Get()
  @ApiResponse({ status: 200, type: EventPageResponse, description: "The caller's events." })
  @ApiProblems(400, 401, 503)
  async list(
    @Query() query: ListEventsQuery,
    @CurrentCaller() caller: Caller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<EventPageResponse> {
    void reply.header('Cache-Control', 'private, no-cache');
    return this.events.page(caller, query.after, query.limit);
  }
}
