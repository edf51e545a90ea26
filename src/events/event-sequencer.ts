import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { LockKeys } from '../database/advisory-locks';
import { Transactions } from '../database/transactions';
import { EventsRepository } from './events.repository';
import { SerialDrain } from './serial-drain';

/** Events per transaction; small enough that a batch's announcement fits in one NOTIFY. */
const BATCH = 100;
/**
 * How often each process looks for committed events without a position. Not a NOTIFY per write:
 * a transaction that notifies holds a database-wide lock through its commit, which would make
 * every create commit one after the other.
 */
export const POLL_EVERY_MS = 50;
const WARN_EVERY_MS = 10_000;

/**
 * Gives committed events their positions, within a poll of their commit (each poll's in the order
 * they were written, after every poll before it): a probe of the unsequenced-events index, then,
 * when it finds some, the numbering under its lock.
 */
@Injectable()
export class EventSequencer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(EventSequencer.name);
  private readonly runs = new SerialDrain(
    () => this.drain(),
    (error) => this.warn(error),
  );
  private timer: NodeJS.Timeout | null = null;
  private warnedAt = 0;

  constructor(
    private readonly events: EventsRepository,
    private readonly transactions: Transactions,
  ) {}

  onApplicationBootstrap() {
    this.timer = setInterval(() => this.runs.wake(), POLL_EVERY_MS);
    this.timer.unref();
    this.runs.wake();
  }

  async onApplicationShutdown() {
    if (this.timer) clearInterval(this.timer);
    await this.runs.stop();
  }

  /** Once every WARN_EVERY_MS at most: a database outage fails every poll. */
  private warn(error: Error) {
    if (Date.now() - this.warnedAt < WARN_EVERY_MS) return;
    this.warnedAt = Date.now();
    this.logger.warn(`events not sequenced: ${error.message}`);
  }

  /**
   * Batches until one comes back short (none waited beyond it): what commits meanwhile waits for
   * the next poll, rather than costing a transaction that finds nothing.
   */
  private async drain() {
    if (!(await this.events.anyUnsequenced(this.transactions.autocommit))) return;
    for (;;) {
      const numbered = await this.transactions.run((tx) =>
        this.events.sequence(tx, LockKeys.eventNumbering, BATCH),
      );
      if (numbered < BATCH || this.runs.stopped) return;
    }
  }
}
