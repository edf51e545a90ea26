import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { Counter, Gauge } from 'prom-client';
import { Notifications } from '../database/notifications';
import { Transactions } from '../database/transactions';
import { ServiceUnavailableError } from '../http/problem';
import { Metrics } from '../metrics/metrics';
import { EventCursors } from './event-cursor';
import { EventStream, streamMessages } from './event-stream';
import { TooManyStreamsError } from './events.errors';
import { EventsRepository } from './events.repository';

/** A comment line this often keeps proxies and load balancers from closing an idle stream. */
export const HEARTBEAT_EVERY_MS = 15_000;
/** Events read per query; a longer backlog is read page after page. */
const PAGE = 100;
/** A user's delivery that failed (the database briefly away) is tried again after this. */
const RETRY_AFTER_MS = 1_000;
/**
 * Streams one user may hold open at this process, and all users together. Each holds a socket,
 * its answer and up to MAX_BUFFERED_BYTES of messages (shared between a user's streams): without
 * a bound, one caller opening streams it never reads could fill the heap and stop the process.
 */
export const MAX_STREAMS_PER_USER = 20;
export const MAX_STREAMS = 1_000;

/** Every stream of one user on this replica, and the one delivery (query) at a time they share. */
interface UserStreams {
  streams: Set<EventStream>;
  delivering: Promise<void> | null;
  again: boolean;
}

/**
 * Every open event stream of this process. It holds no database connection and no timer per
 * stream: one LISTEN for the whole process (`events_positioned`, sent at commit by whichever
 * replica sequenced the events), one query per notified user shared by all that user's streams
 * here, and one heartbeat interval for all.
 */
@Injectable()
export class EventStreamHub implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(EventStreamHub.name);
  private readonly users = new Map<string, UserStreams>();
  private heartbeat: NodeJS.Timeout | null = null;
  private closing = false;
  private open = 0;
  private readonly opened: Counter;
  private readonly ended: Counter<'reason'>;

  constructor(
    private readonly events: EventsRepository,
    private readonly transactions: Transactions,
    private readonly notifications: Notifications,
    private readonly cursors: EventCursors,
    metrics: Metrics,
  ) {
    const openStreams = () => this.open;
    new Gauge({
      name: 'events_streams_open',
      help: 'Event streams (GET /api/events/stream) open at this process.',
      registers: [metrics.registry],
      collect() {
        this.set(openStreams());
      },
    });
    // A reconnect storm, or streams cut for being slow, shows in these rather than in the gauge.
    this.opened = new Counter({
      name: 'events_streams_opened_total',
      help: 'Event streams attached at this process.',
      registers: [metrics.registry],
    });
    this.ended = new Counter({
      name: 'events_streams_ended_total',
      help: 'Event streams ended, by why: client, token_expired, shutdown, events_deleted, slow_reader.',
      labelNames: ['reason'],
      registers: [metrics.registry],
    });
  }

  async onApplicationBootstrap() {
    this.heartbeatEvery(HEARTBEAT_EVERY_MS);
    await this.notifications.listen('events_positioned', (payload) => this.notified(payload));
  }

  /** The heartbeat's period; tests shorten it rather than wait 15 s. */
  heartbeatEvery(ms: number) {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => this.beat(), ms);
    this.heartbeat.unref();
  }

  /**
   * Open streams would keep the HTTP server from closing: they end here, before it closes, and
   * the deliveries under way finish before the database goes.
   */
  async beforeApplicationShutdown() {
    this.closing = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    for (const user of this.users.values())
      user.streams.forEach((stream) => stream.end('shutdown'));
    const deliveries = [...this.users.values()].map((user) => user.delivering ?? undefined);
    await Promise.all(deliveries.filter((delivery) => delivery !== undefined));
  }

  /**
   * Refuses a stream past the bounds (429 for the caller's own, 503 for this process's: another
   * replica may have room). Called just before `attach`, with no wait between them.
   */
  admit(userId: string) {
    if ((this.users.get(userId)?.streams.size ?? 0) >= MAX_STREAMS_PER_USER)
      throw new TooManyStreamsError(MAX_STREAMS_PER_USER);
    if (this.open >= MAX_STREAMS)
      throw new ServiceUnavailableError(5, 'This instance holds as many event streams as it can.');
  }

  /**
   * Streams `userId`'s events after `position` on `response`, whose head is already written:
   * first those already there, then each as it is sequenced, until either side closes, or the
   * first heartbeat at or after `endsAtMs` (the caller's token expired) ends it.
   */
  attach(userId: string, response: ServerResponse, position: string, endsAtMs?: number) {
    const stream = new EventStream(userId, response, BigInt(position), endsAtMs);
    stream.sendStart(this.cursors);
    // A client gone while its start was read has already had its 'close': nothing would detach it.
    // Either way the stream was never attached, so neither counter counts it.
    if (this.closing || response.destroyed) return stream.end('shutdown');
    const user = this.streamsOf(userId);
    user.streams.add(stream);
    this.open++;
    this.opened.inc();
    response.once('close', () => this.detach(stream));
    this.deliver(userId);
  }

  private detach(stream: EventStream) {
    const user = this.users.get(stream.userId);
    if (!user?.streams.delete(stream)) return;
    this.open--;
    this.ended.inc({ reason: stream.endedBy ?? 'client' });
    if (user.streams.size === 0 && !user.delivering) this.users.delete(stream.userId);
  }

  private streamsOf(userId: string): UserStreams {
    let user = this.users.get(userId);
    if (!user)
      this.users.set(userId, (user = { streams: new Set(), delivering: null, again: false }));
    return user;
  }

  /** A sequencer's announcement: whose events it positioned. Null: notifications may have been missed. */
  private notified(payload: string | null) {
    const users = payload === null ? [...this.users.keys()] : announcedUsers(payload);
    for (const userId of users) if (this.users.has(userId)) this.deliver(userId);
  }

  /** Reads now, or once more after the read in progress: an announcement is never lost. */
  private deliver(userId: string) {
    const user = this.users.get(userId);
    if (!user) return;
    if (user.delivering) {
      user.again = true;
      return;
    }
    user.delivering = this.readAndSend(userId, user)
      .catch((error: Error) => {
        this.logger.warn(`events not streamed to a user: ${error.message}; retrying`);
        setTimeout(() => this.deliver(userId), RETRY_AFTER_MS).unref();
      })
      .finally(() => {
        user.delivering = null;
        if (user.streams.size === 0) {
          if (this.users.get(userId) === user) this.users.delete(userId);
        } else if (user.again && !this.closing) {
          user.again = false;
          this.deliver(userId);
        }
      });
  }

  /**
   * Pages from the stream furthest behind; each stream takes only what it has not had. A stream
   * attached during the read with an older position skips the page (it would jump past the events
   * before it) and is read for on the next turn, which `attach` asks for.
   */
  private async readAndSend(userId: string, user: UserStreams) {
    for (;;) {
      user.again = false;
      const open = [...user.streams].filter((stream) => stream.isOpen);
      if (open.length === 0 || this.closing) return;
      const from = open.reduce((min, s) => (s.position < min ? s.position : min), open[0].position);
      const { rows, deletedThrough } = await this.events.retainedPageOwned(
        this.transactions.autocommit,
        userId,
        String(from),
        PAGE,
      );
      const horizon = BigInt(deletedThrough);
      const messages = streamMessages(rows, this.cursors);
      for (const stream of user.streams) {
        // Events past it were deleted: ended, it reconnects from there and is told so (410).
        if (stream.position < horizon) stream.end('events_deleted');
        else if (stream.position >= from) stream.send(messages);
      }
      if (rows.length < PAGE) return;
    }
  }

  /** The heartbeat, and the end of each stream whose token has expired since the last one. */
  private beat() {
    const now = Date.now();
    for (const user of this.users.values())
      user.streams.forEach((stream) =>
        stream.endsAtMs <= now ? stream.end('token_expired') : stream.heartbeat(),
      );
  }
}

/** The users named by an `events_positioned` payload, `{"last": n, "users": [uuid, ...]}`. */
function announcedUsers(payload: string): string[] {
  try {
    const users = (JSON.parse(payload) as { users?: unknown }).users;
    return Array.isArray(users) ? users.filter((user) => typeof user === 'string') : [];
  } catch {
    return [];
  }
}
