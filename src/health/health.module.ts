import { Module } from '@nestjs/common';
import { Draining } from './draining';
import { HealthController } from './health.controller';
import { ReadinessService } from './readiness.service';

@Module({
  controllers: [HealthController],
  providers: [Draining, ReadinessService],
  exports: [Draining],
})
export class HealthModule {}
