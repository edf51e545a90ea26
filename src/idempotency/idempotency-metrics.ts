import { Injectable } from '@nestjs/common';

export type IdempotencyEvent =
  'stored' | 'replayed' | 'mismatched' | 'in_flight_conflict' | 'expired_deleted';

/** Counters of what the store did, for /metrics and for tests; process-local by nature. */
@Injectable()
export class IdempotencyMetrics {
  private readonly counts: Record<IdempotencyEvent, number> = {
    stored: 0,
    replayed: 0,
    mismatched: 0,
    in_flight_conflict: 0,
    expired_deleted: 0,
  };

  count(event: IdempotencyEvent, by = 1) {
    this.counts[event] += by;
  }

  snapshot(): Readonly<Record<IdempotencyEvent, number>> {
    return { ...this.counts };
  }
}
