import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';
import { NodeIdempotencyModule, StorageAdapterEnum } from '@node-idempotency/nestjs';
import { AuthGuard } from './auth.guard';
import { Order, OrderItem } from './order.entity';
import { HealthController, OrdersController } from './orders.controller';
import { OrdersService } from './orders.service';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

@Module({
  imports: [
    TypeOrmModule.forRoot({
      type: 'postgres',
      url: env('DATABASE_URL'),
      entityPrefix: 'peer_', // tables of its own beside the service's in the bench database
      entities: [Order, OrderItem],
      synchronize: true,
    }),
    TypeOrmModule.forFeature([Order, OrderItem]),
    JwtModule.register({ secret: env('JWT_SECRET') }),
    NodeIdempotencyModule.forRootAsync({
      storage: { adapter: StorageAdapterEnum.redis, options: { url: env('REDIS_URL') } },
      cacheKeyPrefix: env('IDEMPOTENCY_PREFIX'), // each run's keys apart from the others'
    }),
  ],
  controllers: [OrdersController, HealthController],
  providers: [OrdersService, AuthGuard],
})
export class AppModule {}
