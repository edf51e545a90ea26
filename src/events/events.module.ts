import { Global, Module } from '@nestjs/common';
import { EventMetrics } from './event-metrics';
import { EventRelay } from './event-relay';
import { EventRetention } from './event-retention';
import { EventSequencer } from './event-sequencer';
import { EventStreamHub } from './event-stream-hub';
import { EventsController } from './events.controller';
import { EventsRepository } from './events.repository';
import { EventsService } from './events.service';

/**
 * Events: the outbox every feature writes to (EventsRepository.append in a transaction, or
 * `eventWrite` in a create statement), its sequencing once committed, the caller's feed, the
 * live stream, the relay to NATS JetStream, and the retention of published events.
 */
@Global()
@Module({
  controllers: [EventsController],
  providers: [
    EventsRepository,
    EventsService,
    EventSequencer,
    EventRelay,
    EventMetrics,
    EventRetention,
    EventStreamHub,
  ],
  exports: [EventsRepository],
})
export class EventsModule {}
