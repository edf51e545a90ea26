import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { LockKeys, tryXactLock } from '../database/advisory-locks';
import { Notifications } from '../database/notifications';
import { Transactions, type Tx } from '../database/transactions';
import { EventMetrics } from './event-metrics';
import { EventRelayRepository } from './event-relay.repository';
import type { EventRow } from './events.repository';
import { toCloudEvent } from './events.service';
import { JetStreamPublisher, type PublishOutcome } from './jetstream';
import { SerialDrain } from './serial-drain';

/**
 * Events per transaction: the lock and a connection are held until their acks are in, a crash
 * before the commit publishes them again (JetStream drops the repeats), and an event that fails
 * sends the rest of its batch again with it. To a stream of one replica they go at once; to a
 * replicated one, one at a time, for a few seconds at most (JetStreamPublisher).
 */
const BATCH = 500;
/** Catches up should a notification be missed, and ends a back-off. */
const POLL_EVERY_MS = 1_000;
const FIRST_RETRY_MS = 500;
const LONGEST_RETRY_MS = 15_000;

interface BatchOutcome {
  read: number;
  failure: Error | null;
  /** Stopped before the last event read, for a reason that is no failure: the next goes at once. */
  cutShort: boolean;
}

/**
 * Publishes committed events to NATS JetStream, in position order, a batch at a time (at once to
 * a stream of one replica, see JetStreamPublisher), and moves its progress (`event_relay_progress`)
 * past them: at least once (a crash between ack and commit publishes again, and JetStream drops
 * the repeat by its `Nats-Msg-Id`). Every replica runs one; an advisory lock held for each batch's
 * transaction lets one publish at a time, and passes on the moment its holder's connection ends.
 * Woken when the sequencer announces new positions. With NATS down it backs off and lets events
 * wait: creates never wait for NATS.
 */
@Injectable()
export class EventRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(EventRelay.name);
  private readonly publisher: JetStreamPublisher | null;
  private readonly runs = new SerialDrain(
    () => this.drain(),
    (error) => this.backOff(error),
  );
  private timer: NodeJS.Timeout | null = null;
  private failures = 0;
  private retryAt = 0;

  constructor(
    private readonly relay: EventRelayRepository,
    private readonly transactions: Transactions,
    private readonly notifications: Notifications,
    private readonly metrics: EventMetrics,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.publisher = config.natsUrl
      ? new JetStreamPublisher(
          {
            servers: config.natsUrl,
            stream: config.natsStream,
            subjectPrefix: config.natsSubjectPrefix,
          },
          this.logger,
        )
      : null;
  }

  async onApplicationBootstrap() {
    if (!this.publisher) return;
    this.metrics.register();
    this.publisher.start(() => {
      this.retryAt = 0; // NATS is back: what waits goes now, not at the end of a back-off
      this.runs.wake();
    });
    await this.notifications.listen('events_positioned', () => this.runs.wake());
    this.timer = setInterval(() => this.runs.wake(), POLL_EVERY_MS);
    this.timer.unref();
  }

  async onApplicationShutdown() {
    if (this.timer) clearInterval(this.timer);
    await this.runs.stop();
    await this.publisher?.close();
  }

  /** Batches until the backlog is empty, another replica relays, or a publish fails. */
  private async drain() {
    if (Date.now() < this.retryAt) return; // backing off: the poll wakes it later
    for (;;) {
      const outcome = await this.transactions.run((tx) => this.publishBatch(tx));
      // Another replica relays: that says nothing of NATS, so the back-off stands as it was.
      if (!outcome) return;
      if (outcome.failure) return this.backOff(outcome.failure);
      // After a database failure's back-off there may be nothing to publish: nothing to announce.
      if (this.failures > 0 && outcome.read > 0) this.logger.log('publishing to NATS again');
      this.failures = 0;
      if ((outcome.read < BATCH && !outcome.cutShort) || this.runs.stopped) return;
    }
  }

  /** Null when another replica holds the relay's lock. */
  private async publishBatch(tx: Tx): Promise<BatchOutcome | null> {
    // The transaction holding the lock is the one relay at work among the replicas.
    if (!(await tryXactLock(tx, LockKeys.eventRelay))) return null;
    const rows = await this.relay.unpublished(tx, BATCH);
    if (rows.length === 0) return { read: 0, failure: null, cutShort: false };
    let outcomes: PublishOutcome[];
    try {
      outcomes = await this.publisher!.publishInOrder(
        rows.map((row) => ({ event: row, body: JSON.stringify(toCloudEvent(row)) })),
      );
    } catch (error) {
      return { read: rows.length, failure: error as Error, cutShort: false };
    }
    const failed = outcomes.findIndex((outcome) => 'error' in outcome);
    const acknowledged = failed === -1 ? outcomes.length : failed;
    await this.passAcknowledged(tx, rows.slice(0, acknowledged), outcomes);
    // Fewer outcomes than events and no failure: the publisher stopped for time; the rest go next.
    if (failed === -1)
      return { read: rows.length, failure: null, cutShort: acknowledged < rows.length };
    const { error, outOfTurn } = outcomes[failed] as { error: Error; outOfTurn: boolean };
    // Refused because the stream's last message is not the relay's event before it (something
    // else was stored between): no NATS failure, and the next batch starts with this event, which
    // goes without the expectation. Never the first of a batch, so the progress has moved.
    if (outOfTurn && acknowledged > 0) {
      this.logger.warn(`events published in part: ${error.message}; going on`);
      return { read: rows.length, failure: null, cutShort: true };
    }
    return { read: rows.length, failure: error, cutShort: false };
  }

  /**
   * Moves the progress past the events acknowledged before the first that was not: later ones wait
   * for the next batch, so one resource's events stay in order.
   */
  private async passAcknowledged(tx: Tx, rows: EventRow[], outcomes: PublishOutcome[]) {
    if (rows.length === 0) return;
    rows.forEach((row, index) =>
      this.metrics.acknowledged(row.time, (outcomes[index] as { repeat: boolean }).repeat),
    );
    await this.relay.movePublishedThrough(tx, rows[rows.length - 1].position);
  }

  private backOff(error: Error) {
    this.failures += 1;
    const delay = Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** (this.failures - 1));
    this.retryAt = Date.now() + delay * (0.8 + Math.random() * 0.4);
    this.logger.warn(`events not published (${error.message}); retrying in ${delay} ms`);
  }
}
