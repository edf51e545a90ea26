import { DynamicModule, Module } from '@nestjs/common';
import { derivedKey } from '../config/jwt-secret';
import { BatchedClaims } from './batched-claims';
import { BatchedLookups } from './batched-lookups';
import { ExpirySweeper } from './expiry-sweeper';
import { IdempotencyMetrics } from './idempotency-metrics';
import { IdempotencyRepository } from './idempotency.repository';
import { CreateExecutor, FINGERPRINT_SECRET } from './create-executor';

@Module({})
export class IdempotencyModule {
  /** The fingerprint key is derived from the service secret, so no second secret must be managed. */
  static withSecret(serviceSecret: string): DynamicModule {
    const fingerprintSecret = derivedKey(serviceSecret, 'idempotency-fingerprint-v1');
    return {
      module: IdempotencyModule,
      global: true,
      providers: [
        CreateExecutor,
        BatchedClaims,
        BatchedLookups,
        IdempotencyRepository,
        IdempotencyMetrics,
        ExpirySweeper,
        { provide: FINGERPRINT_SECRET, useValue: fingerprintSecret },
      ],
      exports: [CreateExecutor, IdempotencyMetrics],
    };
  }
}
