import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { SealedLinks } from '../auth/sealed-links';
import { derivedKey } from '../config/jwt-secret';
import { ResourceUrls } from '../http/resource-urls';
import { EventCursors } from './event-cursor';
import { EventMetrics } from './event-metrics';
import { EventRelay } from './event-relay';
import { EventRetention } from './event-retention';
import { EventSequencer } from './event-sequencer';
import { EventStreamHub } from './event-stream-hub';
import { EventsController } from './events.controller';
import { EventRelayRepository } from './event-relay.repository';
import { EventsRepository } from './events.repository';
import { EventsService } from './events.service';
import { StreamLinks } from './stream-links';

/**
 * Events: the outbox every feature writes to (EventsRepository.append in a transaction, or
 * `eventWrite` in a create statement), its sequencing once committed, the caller's feed, the
 * live stream, the relay to NATS JetStream, and the retention of published events.
 */
@Global()
@Module({})
export class EventsModule {
  /** The cursors' and links' keys are derived from the service secret: no second secret to manage. */
  static withSecret(serviceSecret: string): DynamicModule {
    const cursorKey = derivedKey(serviceSecret, 'event-cursor-v1');
    const linkKey = derivedKey(serviceSecret, 'event-stream-link-v1');
    return {
      module: EventsModule,
      controllers: [EventsController],
      providers: [
        EventsRepository,
        EventRelayRepository,
        EventsService,
        EventSequencer,
        EventRelay,
        EventMetrics,
        EventRetention,
        EventStreamHub,
        ResourceUrls,
        {
          provide: StreamLinks,
          useFactory: (config: AppConfig) =>
            new StreamLinks(new SealedLinks(linkKey), config.accessTokenTtlSeconds),
          inject: [APP_CONFIG],
        },
        {
          provide: EventCursors,
          useFactory: (config: AppConfig) => new EventCursors(cursorKey, config.eventCursors),
          inject: [APP_CONFIG],
        },
      ],
      exports: [EventsRepository],
    };
  }
}
