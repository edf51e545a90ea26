import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { LockKeys } from '../database/advisory-locks';
import { BatchedSweep } from '../database/batched-sweep';
import { Transactions } from '../database/transactions';
import { EventsRepository } from './events.repository';

const SWEEP_EVERY_MS = 60_000;
const BATCH_SIZE = 500;

/**
 * Deletes events `EVENTS_RETENTION` after they were published (after they were written, where no
 * NATS is configured), in small batches, one replica at a time. An event waiting for NATS stays.
 * With NATS, each batch first notes how far the relay has published by then (a checkpoint): what
 * tells, a retention later, which events were published that long ago.
 */
@Injectable()
export class EventRetention extends BatchedSweep {
  constructor(
    events: EventsRepository,
    transactions: Transactions,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    const rule = { retentionMs: config.eventsRetentionMs, requirePublished: !!config.natsUrl };
    const logger = new Logger(EventRetention.name);
    super(transactions, {
      what: 'old events',
      everyMs: SWEEP_EVERY_MS,
      batchSize: BATCH_SIZE,
      lockKey: LockKeys.eventRetention,
      batch: async (tx) => {
        if (rule.requirePublished) await events.checkpointPublished(tx, rule);
        return events.deleteExpired(tx, rule, BATCH_SIZE);
      },
      warn: (message) => logger.warn(message),
    });
  }
}
