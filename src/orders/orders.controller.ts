import { Body, Controller, Get, Headers, HttpCode, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { type Caller, CurrentCaller } from '../auth/caller';
import { TakesNoBody } from '../http/bodyless';
import { sendOutcome } from '../http/outcome';
import { linkNextPage } from '../http/pages';
import { ResourceUrls } from '../http/resource-urls';
import { JsonBody, replyUpdatedWithJson, replyWithEtagOfJson, sendJson } from '../http/responses';
import { UuidParam } from '../http/uuid.pipe';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import {
  ApiBearer,
  ApiChangePreconditions,
  ApiCreate,
  ApiListPage,
  ApiProblems,
  ApiRead,
} from '../http/openapi.decorators';
import { headers } from '../http/openapi.headers';
import { Idempotency, Idempotent } from '../idempotency/idempotent.decorator';
import type { IdempotentRequest } from '../idempotency/idempotent-request';
import { CreateOrderDto } from './dto/create-order.dto';
import { ListOrdersQuery } from './dto/list-orders.query';
import { OrderPageResponse, OrderResponse } from './dto/order.response';
import { OrdersService } from './orders.service';

@ApiTags('orders')
@ApiBearer()
@Controller('api/orders')
export class OrdersController {
  constructor(
    private readonly orders: OrdersService,
    private readonly urls: ResourceUrls,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Create an order, exactly once per Idempotency-Key' })
  @Idempotent({ required: true, earlyReplay: 'while-retries-are-common' })
  @ApiCreate(OrderResponse, {
    problems: [400, 401, 413, 415, 422],
    storedConflicts: ['order_reference_taken'],
  })
  async create(
    @Body() input: CreateOrderDto,
    @CurrentCaller() caller: Caller,
    @Idempotency() idempotent: IdempotentRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const { outcome, replayed } = await this.orders.create(caller, input, idempotent);
    return sendOutcome(reply, outcome, replayed);
  }

  @Get()
  @ApiOperation({ summary: "The caller's orders, newest first, all or those the filter names" })
  @ApiListPage(OrderPageResponse, "The caller's orders, newest first.")
  // No ETag: answering each page through replyWithEtag slowed the list measurably (bench/README).
  async list(
    @Query() query: ListOrdersQuery,
    @CurrentCaller() caller: Caller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<JsonBody<OrderPageResponse>> {
    const page = await this.orders.list(caller, query);
    return sendJson(reply, linkNextPage(reply, this.urls, '/api/orders', query, page).body);
  }

  @Get(':id')
  @ApiOperation({ summary: 'An order' })
  @ApiRead(OrderResponse)
  async get(
    @UuidParam() id: string,
    @CurrentCaller() caller: Caller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<JsonBody<OrderResponse> | undefined> {
    return replyWithEtagOfJson(reply, await this.orders.get(caller, id));
  }

  @Post(':id/cancel')
  @ApiOperation({ summary: 'Cancel an order' })
  @HttpCode(200)
  @TakesNoBody()
  @ApiResponse({
    status: 200,
    type: OrderResponse,
    description:
      'Cancelled (again: unchanged, and answered so under a stale `If-Match` too, the cancel it asks for being done).',
    headers: headers('ETag'),
  })
  @ApiChangePreconditions(
    'Cancel',
    'An order already cancelled is answered 200 as it is, whatever the tag.',
  )
  @ApiProblems(400, 401, 404, 503)
  async cancel(
    @UuidParam() id: string,
    @CurrentCaller() caller: Caller,
    @Headers('if-match') ifMatch: string | undefined,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<JsonBody<OrderResponse>> {
    const cancelled = await this.orders.cancel(caller, id, { ifMatch, ifNoneMatch });
    return replyUpdatedWithJson(reply, cancelled);
  }
}
