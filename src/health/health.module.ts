import { Module } from '@nestjs/common';
import { OrdersModule } from '../orders/orders.module';
import { UsersModule } from '../users/users.module';
import { CreateProbeController } from './create-probe.controller';
import { CreateProbe } from './create-probe.service';
import { Draining } from './draining';
import { HealthController } from './health.controller';

@Module({
  imports: [UsersModule, OrdersModule],
  controllers: [HealthController, CreateProbeController],
  providers: [CreateProbe, Draining],
  exports: [Draining],
})
export class HealthModule {}
