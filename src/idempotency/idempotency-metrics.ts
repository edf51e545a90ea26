import { Injectable } from '@nestjs/common';
import { Metrics } from '../metrics/metrics';

export type IdempotencyEvent =
  'stored' | 'replayed' | 'mismatched' | 'in_flight_conflict' | 'expired_deleted';

/** Counters of what the store did, exported on /metrics and readable here (tests); per process. */
@Injectable()
export class IdempotencyMetrics {
  private readonly counts: Record<IdempotencyEvent, number> = {
    stored: 0,
    replayed: 0,
    mismatched: 0,
    in_flight_conflict: 0,
    expired_deleted: 0,
  };

  constructor(private readonly metrics: Metrics) {}

  count(event: IdempotencyEvent, by = 1) {
    this.counts[event] += by;
    this.metrics.idempotency.inc({ event }, by);
  }

  snapshot(): Readonly<Record<IdempotencyEvent, number>> {
    return { ...this.counts };
  }
}
