import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { Idempotent } from '@node-idempotency/nestjs';
import type { FastifyReply } from 'fastify';
import { AuthGuard } from './auth.guard';
import { CreateOrderDto } from './create-order.dto';
import { OrdersService } from './orders.service';

type AuthedRequest = { user: { id: string } };

@Controller('orders')
@UseGuards(AuthGuard)
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  @HttpCode(201)
  @Idempotent()
  async create(
    @Body() dto: CreateOrderDto,
    @Req() request: AuthedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const order = await this.orders.create(request.user.id, dto);
    void reply.header('Location', `/api/orders/${order.id}`);
    return order;
  }

  @Get(':id')
  findOne(@Param('id', ParseUUIDPipe) id: string, @Req() request: AuthedRequest) {
    return this.orders.findOne(request.user.id, id);
  }
}

/** What the harness polls before sending load. */
@Controller('health')
export class HealthController {
  @Get('ready')
  ready() {
    return { status: 'ok' };
  }
}
