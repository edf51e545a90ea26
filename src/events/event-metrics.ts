import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { Transactions } from '../database/transactions';
import { Metrics } from '../metrics/metrics';
import { sharedScrape } from '../metrics/shared-scrape';
import { EventRelayRepository } from './event-relay.repository';
import { EventsRepository } from './events.repository';

/**
 * The events outbox as /metrics shows it: how far numbering is behind (always: the feed and the
 * streams wait for it), and the relay's figures (registered by the relay, where NATS is configured).
 */
@Injectable()
export class EventMetrics {
  private published: Counter | null = null;
  private repeats: Counter | null = null;
  private lag: Histogram | null = null;

  constructor(
    private readonly metrics: Metrics,
    private readonly events: EventsRepository,
    private readonly relay: EventRelayRepository,
    private readonly transactions: Transactions,
  ) {
    const age = sharedScrape(() => events.oldestUnsequencedAge(transactions.autocommit), NaN);
    new Gauge({
      name: 'events_oldest_unsequenced_age_seconds',
      help: 'Age of the oldest event not numbered yet (0 when none): how far the sequencer is behind.',
      registers: [metrics.registry],
      async collect() {
        this.set(await age());
      },
    });
  }

  /** Called once by the relay when it starts. */
  register(): void {
    const registers = [this.metrics.registry];
    this.published = new Counter({
      name: 'events_published_total',
      help: 'Events JetStream acknowledged, repeats included.',
      registers,
    });
    this.repeats = new Counter({
      name: 'events_publish_duplicates_total',
      help: 'Publishes JetStream acknowledged as repeats of a stored event (dropped by its duplicate window).',
      registers,
    });
    this.lag = new Histogram({
      name: 'events_publish_lag_seconds',
      help: "Time from an event's write to JetStream's acknowledgement.",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
    this.registerBacklog(registers);
  }

  acknowledged(writtenAt: Date, repeat: boolean): void {
    this.published?.inc();
    if (repeat) this.repeats?.inc();
    this.lag?.observe((Date.now() - writtenAt.getTime()) / 1000);
  }

  private registerBacklog(registers: Metrics['registry'][]) {
    const backlog = sharedScrape(() => this.relay.backlog(this.transactions.autocommit), {
      count: NaN,
      oldestAgeSeconds: NaN,
    });
    new Gauge({
      name: 'events_unpublished',
      help: 'Events written and not yet acknowledged by NATS JetStream, all processes.',
      registers,
      async collect() {
        this.set((await backlog()).count);
      },
    });
    new Gauge({
      name: 'events_oldest_unpublished_age_seconds',
      help: 'Age of the oldest event not yet acknowledged by NATS JetStream (0 when none).',
      registers,
      async collect() {
        this.set((await backlog()).oldestAgeSeconds);
      },
    });
  }
}
