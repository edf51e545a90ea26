import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Notifications } from '../database/notifications';
import { Transactions } from '../database/transactions';
import { EventsRepository } from './events.repository';
import { SerialDrain } from './serial-drain';

/** Shared by every replica: whoever holds it sequences; the others find nothing to do. */
const SEQUENCE_LOCK_KEY = 7_283_003;
/** Events per transaction; small enough that a batch's announcement fits in one NOTIFY. */
const BATCH = 100;
/** Catches up should a notification be missed (its replica held the lock, then died). */
const POLL_EVERY_MS = 1_000;

/**
 * Gives committed events their positions in commit order, as soon as they commit: woken by the
 * `events_written` notification the events table's trigger sends at commit, and by a slow poll.
 */
@Injectable()
export class EventSequencer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(EventSequencer.name);
  private readonly runs = new SerialDrain(
    () => this.drain(),
    (error) => this.logger.warn(`events not sequenced: ${error.message}`),
  );
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly events: EventsRepository,
    private readonly transactions: Transactions,
    private readonly notifications: Notifications,
  ) {}

  async onApplicationBootstrap() {
    await this.notifications.listen('events_written', () => this.runs.wake());
    this.timer = setInterval(() => this.runs.wake(), POLL_EVERY_MS);
    this.timer.unref();
    this.runs.wake();
  }

  async onApplicationShutdown() {
    if (this.timer) clearInterval(this.timer);
    await this.runs.stop();
  }

  /** Batches until none is full: what committed meanwhile waits for the next wake-up. */
  private async drain() {
    for (;;) {
      const last = await this.transactions.run((tx) =>
        this.events.sequence(tx, SEQUENCE_LOCK_KEY, BATCH),
      );
      if (last === null || this.runs.stopped) return;
    }
  }
}
