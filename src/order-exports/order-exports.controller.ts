import { Body, Controller, Get, Post, Query, Res, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { type Caller, CurrentCaller } from '../auth/caller';
import { PageQuery } from '../http/dto/page.query';
import {
  ApiAccepted,
  ApiBearer,
  ApiListPage,
  ApiProblem,
  ApiRead,
} from '../http/openapi.decorators';
import { sendOutcome } from '../http/outcome';
import { linkNextPage } from '../http/pages';
import { ResourceUrls } from '../http/resource-urls';
import { JsonBody, replyWithEtag } from '../http/responses';
import { UuidParam } from '../http/uuid.pipe';
import { Idempotency, Idempotent } from '../idempotency/idempotent.decorator';
import type { IdempotentRequest } from '../idempotency/idempotent-request';
import { CreateOrderExportDto } from './dto/create-order-export.dto';
import { OrderExportPageResponse, OrderExportResponse } from './dto/order-export.response';
import { ExportRateLimitGuard } from './export-rate-limit.guard';
import {
  EXPORT_RETRY_AFTER_SECONDS,
  isFinished,
  OrderExportsService,
} from './order-exports.service';

@ApiTags('order-exports')
@ApiBearer()
@Controller('api/order-exports')
export class OrderExportsController {
  constructor(
    private readonly exports: OrderExportsService,
    private readonly urls: ResourceUrls,
  ) {}

  /** The export is queued, and its job added, by one statement; the CSV is written in the background. */
  @Post()
  @ApiOperation({ summary: "Start a CSV export of the caller's orders" })
  @Idempotent({ required: false, earlyReplay: 'always' }) // a replay costs nothing: not counted
  @UseGuards(ExportRateLimitGuard)
  @ApiAccepted(OrderExportResponse, { problems: [400, 401, 413, 415, 422] })
  @ApiProblem(
    429,
    ['Retry-After'],
    'More exports than `EXPORT_RATE_LIMIT` a minute for this user, counted across replicas (`rate_limited`); retry after `Retry-After` seconds.',
  )
  async create(
    @Body() input: CreateOrderExportDto,
    @CurrentCaller() caller: Caller,
    @Idempotency() idempotent: IdempotentRequest | null,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const { outcome, replayed } = await this.exports.create(caller, input, idempotent);
    return sendOutcome(reply, outcome, replayed);
  }

  @Get()
  @ApiOperation({ summary: "The caller's exports, newest first" })
  @ApiListPage(OrderExportPageResponse, "The caller's exports, newest first.")
  async list(
    @Query() query: PageQuery,
    @CurrentCaller() caller: Caller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<OrderExportPageResponse> {
    const page = await this.exports.list(caller, query);
    return linkNextPage(reply, this.urls, '/api/order-exports', query, page);
  }

  /** The status monitor: `Retry-After` until the export has succeeded or failed. */
  @Get(':id')
  @ApiOperation({ summary: 'An export: its status, and its file once done' })
  @ApiRead(OrderExportResponse, 'Retry-After')
  async get(
    @UuidParam() id: string,
    @CurrentCaller() caller: Caller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<JsonBody<OrderExportResponse> | undefined> {
    const found = await this.exports.get(caller, id);
    if (isFinished(found)) return replyWithEtag(reply, found);
    return replyWithEtag(reply, found, { 'Retry-After': String(EXPORT_RETRY_AFTER_SECONDS) });
  }
}
