import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { type Caller, CurrentCaller, Public } from '../auth/caller';
import {
  requireEventStreamAccepted,
  startEventStream,
  varyByStreamHeaders,
} from '../http/event-stream-response';
import { ApiBearer, ApiProblems, ApiReadPage } from '../http/openapi.decorators';
import { JsonBody, replyWithEtag } from '../http/responses';
import { EventPageResponse } from './dto/cloud-event.response';
import { EventStreamLinkResponse } from './dto/event-stream-link.response';
import { ListEventsQuery, StreamEventsQuery } from './dto/list-events.query';
import { ApiEventStreamLink, ApiEventStream } from './events.openapi';
import { EventStreamHub } from './event-stream-hub';
import { EventsService } from './events.service';

@ApiTags('events')
@Controller('api/events')
export class EventsController {
  constructor(
    private readonly events: EventsService,
    private readonly hub: EventStreamHub,
  ) {}

  /** The caller's events, oldest first: every change to their resources, once each. */
  @Get()
  @ApiBearer()
  @ApiOperation({ summary: "The caller's events, oldest first, a page at a time" })
  @ApiReadPage(EventPageResponse, "The caller's events.")
  @ApiProblems(400, 401, 410, 503)
  async list(
    @Query() query: ListEventsQuery,
    @CurrentCaller() caller: Caller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<JsonBody<EventPageResponse> | undefined> {
    return replyWithEtag(reply, await this.events.page(caller, query.after, query.limit));
  }

  /** Fresh each time (never cached): each link is a credential of its own. */
  @Get('stream/link')
  @ApiBearer()
  @ApiOperation({
    summary: "The stream's URL that needs no token (for EventSource), as long as the token lasts",
  })
  @ApiEventStreamLink(EventStreamLinkResponse)
  streamLink(
    @CurrentCaller() caller: Caller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): EventStreamLinkResponse {
    void reply.header('Cache-Control', 'no-store');
    return this.events.streamLink(caller);
  }

  /**
   * The caller's events as Server-Sent Events, as they commit at any replica: those after
   * Last-Event-ID (or `after`) first, otherwise only those to come. Public as the request arrives:
   * a `link` opens it without a token (EventsService.streamCaller).
   */
  @Get('stream')
  @Public()
  @ApiOperation({ summary: "The caller's events as they commit (Server-Sent Events)" })
  @ApiEventStream()
  async stream(
    @Query() query: StreamEventsQuery,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Headers('accept') accept: string | undefined,
    @CurrentCaller() bearer: Caller | null,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    varyByStreamHeaders(reply);
    const caller = this.events.streamCaller(bearer, query.link);
    requireEventStreamAccepted(accept);
    // A bad cursor (400) or no database (503) answers as problem+json: the stream starts after.
    const after = await this.events.streamStart(caller, resumeCursor(lastEventId, query.after));
    // HEAD asks for the head alone: held open, it would never be sent (Node holds the head of a
    // bodyless answer until its end).
    if (reply.request.method === 'HEAD') return void startEventStream(reply).end();
    this.hub.admit(caller.userId); // with no wait before the attach: the bound holds
    this.hub.attach(caller.userId, startEventStream(reply), after, caller.tokenExpiresAtMs);
  }
}

/** Last-Event-ID wins: on a reconnect it is newer than the `after` the stream was opened with. */
function resumeCursor(lastEventId: string | undefined, after: string | undefined) {
  if (lastEventId !== undefined && lastEventId !== '')
    return { cursor: lastEventId, field: 'Last-Event-ID' };
  return after === undefined ? null : { cursor: after, field: 'after' };
}
