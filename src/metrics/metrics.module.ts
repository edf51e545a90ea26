import { DynamicModule, Global, Module } from '@nestjs/common';
import { Metrics } from './metrics';
import { MetricsController } from './metrics.controller';
import { MetricsServer } from './metrics-server';

@Global()
@Module({})
export class MetricsModule {
  /** `/metrics` beside the API (`metricsPort` null) or on a port of its own (`MetricsServer`). */
  static serving(metricsPort: number | null): DynamicModule {
    const ownPort = metricsPort !== null;
    return {
      module: MetricsModule,
      controllers: ownPort ? [] : [MetricsController],
      providers: ownPort ? [Metrics, MetricsServer] : [Metrics],
      exports: [Metrics],
    };
  }
}
