import { Global, Module } from '@nestjs/common';
import { EventSequencer } from './event-sequencer';
import { EventStreamHub } from './event-stream-hub';
import { EventsController } from './events.controller';
import { EventsRepository } from './events.repository';
import { EventsService } from './events.service';

/**
 * Events: the outbox every feature writes to (EventsRepository.append in a transaction, or
 * `eventWrite` in a create statement), its sequencing in commit order, the caller's feed and
 * their live stream.
 */
@Global()
@Module({
  controllers: [EventsController],
  providers: [EventsRepository, EventsService, EventSequencer, EventStreamHub],
  exports: [EventsRepository],
})
export class EventsModule {}
