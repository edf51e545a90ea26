import { Global, Module } from '@nestjs/common';
import { EventSequencer } from './event-sequencer';
import { EventsController } from './events.controller';
import { EventsRepository } from './events.repository';
import { EventsService } from './events.service';

/**
 * Events: the outbox every feature writes to (EventsRepository.append in a transaction, or
 * `eventWrite` in a create statement), its sequencing in commit order, and the caller's feed.
 */
@Global()
@Module({
  controllers: [EventsController],
  providers: [EventsRepository, EventsService, EventSequencer],
  exports: [EventsRepository],
})
export class EventsModule {}
