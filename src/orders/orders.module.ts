import { Module } from '@nestjs/common';
import { ResourceUrls } from '../http/resource-urls';
import { OrdersController } from './orders.controller';
import { OrdersRepository } from './orders.repository';
import { OrdersService } from './orders.service';

@Module({
  controllers: [OrdersController],
  providers: [OrdersService, OrdersRepository, ResourceUrls],
  exports: [OrdersService],
})
export class OrdersModule {}
