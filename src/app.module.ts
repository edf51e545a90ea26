import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { AuthModule } from './auth/auth.module';
import { RateLimitModule } from './auth/rate-limit.module';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { CreateProbeModule } from './create-probe/create-probe.module';
import { DatabaseModule } from './database/database.module';
import { EventsModule } from './events/events.module';
import { FilesModule } from './files/files.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { IdempotencyModule } from './idempotency/idempotency.module';
import { JobsModule } from './jobs/jobs.module';
import { ProblemFilter } from './http/problem.filter';
import { OrderExportsModule } from './order-exports/order-exports.module';
import { OrdersModule } from './orders/orders.module';
import { UsersModule } from './users/users.module';

export interface AppDependencies {
  config: AppConfig;
  dataSource: DataSource;
  jwtSecret: string;
}

@Module({})
export class AppModule {
  /** Everything the app needs from outside arrives here, explicitly; nothing is read from globals. */
  static with({ config, dataSource, jwtSecret }: AppDependencies): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forConfig(config),
        DatabaseModule.forDataSource(dataSource),
        HealthModule,
        CreateProbeModule,
        MetricsModule.serving(config.metricsPort),
        RateLimitModule,
        AuthModule.withSecret(jwtSecret),
        IdempotencyModule.withSecret(jwtSecret),
        JobsModule,
        EventsModule.withSecret(jwtSecret),
        UsersModule,
        OrdersModule,
        FilesModule.withSecret(jwtSecret),
        OrderExportsModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: ProblemFilter }],
    };
  }
}
