import { DynamicModule, Module } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { BatchedClaims } from './batched-claims';
import { ExpirySweeper } from './expiry-sweeper';
import { IdempotencyMetrics } from './idempotency-metrics';
import { IdempotencyRepository } from './idempotency.repository';
import { CreateExecutor, FINGERPRINT_SECRET } from './create-executor';

@Module({})
export class IdempotencyModule {
  /** The fingerprint key is derived from the service secret, so no second secret must be managed. */
  static withSecret(serviceSecret: string): DynamicModule {
    const fingerprintSecret = createHmac('sha256', serviceSecret)
      .update('idempotency-fingerprint-v1')
      .digest();
    return {
      module: IdempotencyModule,
      global: true,
      providers: [
        CreateExecutor,
        BatchedClaims,
        IdempotencyRepository,
        IdempotencyMetrics,
        ExpirySweeper,
        { provide: FINGERPRINT_SECRET, useValue: fingerprintSecret },
      ],
      exports: [CreateExecutor, IdempotencyMetrics],
    };
  }
}
