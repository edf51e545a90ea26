import { Module } from '@nestjs/common';
import { OrdersModule } from '../orders/orders.module';
import { UsersModule } from '../users/users.module';
import { CreateProbeController } from './create-probe.controller';
import { CreateProbe } from './create-probe.service';

/** The synthetic create of uptime monitors: the users' and orders' own path, rolled back. */
@Module({
  imports: [UsersModule, OrdersModule],
  controllers: [CreateProbeController],
  providers: [CreateProbe],
})
export class CreateProbeModule {}
