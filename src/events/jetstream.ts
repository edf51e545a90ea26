import type { Logger } from '@nestjs/common';
import { setTimeout as delay } from 'node:timers/promises';
import {
  connect,
  Events,
  headers,
  type JetStreamManager,
  nanos,
  NatsConnection,
  NatsError,
  type PubAck,
  StorageType,
  type StreamInfo,
} from 'nats';
import type { EventRow } from './events.repository';

/** The header naming the user an event belongs to (their id), for consumers that route by it. */
const OWNER_HEADER = 'Order-Service-User-Id';

/** JetStream drops a repeated `Nats-Msg-Id` within this window: a relay's retries after a crash. */
export const DUPLICATE_WINDOW_MS = 5 * 60_000;
/** The least window under which exactly-once storage is not promised. */
const LEAST_DUPLICATE_WINDOW_MS = 2 * 60_000;
/** How long a publish waits for JetStream's acknowledgement before it counts as failed. */
const ACK_TIMEOUT_MS = 2_000;
/** How long a batch goes to a replicated stream, one event at a time, before the rest waits. */
const ONE_AT_A_TIME_FOR_MS = 5_000;
const STREAM_NOT_FOUND = 10059;
const RETRY_CONNECT_MS = 1_000;
/** What a shutdown gives in-flight publishes to finish before the connection is closed. */
const DRAIN_WITHIN_MS = 2_000;

export interface OutgoingEvent {
  event: EventRow;
  /** The CloudEvent as JSON. */
  body: string;
}

/**
 * Acknowledged (`repeat` when JetStream already had it), or not stored. `outOfTurn`: refused
 * because the stream's last message was not the event before it.
 */
export type PublishOutcome = { repeat: boolean } | { error: Error; outOfTurn: boolean };

/** JetStream's answer to a publish whose `Nats-Expected-Last-Msg-Id` is not the stream's last. */
const WRONG_LAST_MSG_ID = 10070;

/**
 * An ack of `seq` 0 says a repeat of a message still being stored (replicated streams of some
 * servers): not stored yet, so not acknowledged.
 */
function outcomeOf(ack: PromiseSettledResult<PubAck>): PublishOutcome {
  if (ack.status === 'rejected') {
    const error = ack.reason as NatsError;
    return { error, outOfTurn: error.api_error?.err_code === WRONG_LAST_MSG_ID };
  }
  if (ack.value.duplicate && ack.value.seq === 0)
    return { error: new Error('a repeat of a message still being stored'), outOfTurn: false };
  return { repeat: ack.value.duplicate };
}

export interface JetStreamTarget {
  servers: string;
  stream: string;
  subjectPrefix: string;
}

/**
 * The service's one NATS connection, reconnecting for ever in the background: a publish while it
 * is down fails at once (or at its ack timeout), and the caller retries later. The stream is
 * looked up before each batch, and created when missing.
 */
export class JetStreamPublisher {
  private connection: NatsConnection | null = null;
  /** From a first attempt until connected or closed: one loop of attempts, however many ask. */
  private connecting = false;
  private closed = false;
  /** The JetStream manager of the connection it was made on. */
  private manager: { connection: NatsConnection; manager: JetStreamManager } | null = null;
  private warnedOfWindow = false;
  private readonly encoder = new TextEncoder();
  private onConnected: () => void = () => undefined;

  constructor(
    private readonly target: JetStreamTarget,
    private readonly logger: Logger,
    private readonly connectTo: typeof connect = connect,
  ) {}

  /**
   * Starts connecting; never waits for NATS (creates do not need it). `onConnected` is called
   * each time a connection is made, so that waiting events go at once.
   */
  start(onConnected: () => void): void {
    this.onConnected = onConnected;
    this.connect();
  }

  /**
   * One attempt (it fails at once while NATS is unreachable), then one a second until connected
   * or closed; once connected the client itself reconnects for ever. A publish that finds no
   * connection asks again, and joins the loop already running rather than start another.
   */
  private connect(): void {
    if (this.closed || this.connecting) return;
    this.connecting = true;
    this.attempt();
  }

  private attempt(): void {
    if (this.closed) return void (this.connecting = false);
    this.connectTo({
      servers: this.target.servers.split(',').map((server) => server.trim()),
      name: 'order-service',
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1_000,
      // Else every publish captures a stack trace (`new Error()`) in case it fails, a cost paid
      // for each event; the relay logs a failure by its message alone.
      noAsyncTraces: true,
    }).then(
      (connection) => {
        this.connecting = false;
        if (this.closed) return void connection.close(); // came up after shutdown
        this.connection = connection;
        this.onConnected();
        void this.announceReconnects(connection);
      },
      (error: Error) => {
        this.logger.warn(`NATS connection failed: ${error.message}; retrying`);
        setTimeout(() => this.attempt(), RETRY_CONNECT_MS).unref();
      },
    );
  }

  /**
   * Publishes events in the order given, their outcomes in the same order (fewer than the events
   * to a replicated stream, see oneAtATime); the stream keeps that order whichever fail. To a
   * stream of one replica they go at once, each after the first expecting the one before it to be
   * the stream's last message (`Nats-Expected-Last-Msg-Id`), so that JetStream stores none after
   * one it did not store; a repeat is dropped by its `Nats-Msg-Id` before that check, so a batch
   * published again after a crash passes it. To a replicated stream they go one at a time, each
   * after the one before was acknowledged: there the expectation is checked only once the replicas
   * agree, and a message refused then keeps its id held as "in process" for the duplicate window,
   * which would hold that event back as long. Each event's owner goes in a header: the CloudEvent
   * of a file or an export does not name them.
   */
  async publishInOrder(events: readonly OutgoingEvent[]): Promise<PublishOutcome[]> {
    const connection = this.connection;
    if (!connection || connection.isClosed()) {
      this.connection = null;
      if (!this.closed) this.connect();
      throw new Error('not connected to NATS');
    }
    const { config, cluster } = await this.streamOn(connection);
    // Peers beside the leader: replicated, or an R1 stream being moved (a Raft group as well).
    const replicated = config.num_replicas > 1 || (cluster?.replicas?.length ?? 0) > 0;
    return replicated ? this.oneAtATime(connection, events) : this.allAtOnce(connection, events);
  }

  /**
   * Each after the one before was acknowledged, alone (no expectation); the outcomes end at the
   * first failure, or once ONE_AT_A_TIME_FOR_MS has gone (the caller's transaction stays short).
   */
  private async oneAtATime(connection: NatsConnection, events: readonly OutgoingEvent[]) {
    const started = performance.now();
    const outcomes: PublishOutcome[] = [];
    for (const outgoing of events) {
      const [outcome] = await this.allAtOnce(connection, [outgoing]);
      outcomes.push(outcome);
      if ('error' in outcome || performance.now() - started > ONE_AT_A_TIME_FOR_MS) break;
    }
    return outcomes;
  }

  private async allAtOnce(connection: NatsConnection, events: readonly OutgoingEvent[]) {
    const jetstream = connection.jetstream();
    // The client queues each publish on the connection before its promise returns: in this order.
    const acks = events.map(({ event, body }, index) =>
      jetstream.publish(`${this.target.subjectPrefix}.${event.type}`, this.encoder.encode(body), {
        msgID: event.id,
        headers: this.headersFor(event),
        timeout: ACK_TIMEOUT_MS,
        expect: index > 0 ? { lastMsgID: events[index - 1].event.id } : {},
      }),
    );
    return (await Promise.allSettled(acks)).map(outcomeOf);
  }

  private headersFor(event: EventRow) {
    const header = headers();
    header.set('Content-Type', 'application/cloudevents+json');
    if (event.userId) header.set(OWNER_HEADER, event.userId);
    return header;
  }

  /**
   * Never waits for a connection still being made: with NATS down that would be for ever. A
   * connection's `drain()` gives up without closing it while NATS is away (its flush fails), and
   * the client would go on reconnecting: it is given DRAIN_WITHIN_MS, then closed either way.
   */
  async close(): Promise<void> {
    this.closed = true;
    const connection = this.connection;
    if (!connection) return;
    const drained = connection.drain().catch(() => undefined);
    await Promise.race([drained, delay(DRAIN_WITHIN_MS, undefined, { ref: false })]);
    await connection.close().catch(() => undefined);
  }

  private async announceReconnects(connection: NatsConnection) {
    for await (const status of connection.status())
      if (status.type === Events.Reconnect) this.onConnected();
  }

  /**
   * The stream's configuration, the stream made when missing. Asked before each batch, so that a
   * stream given replicas meanwhile is published to one event at a time from the next.
   */
  private async streamOn(connection: NatsConnection): Promise<StreamInfo> {
    if (this.manager?.connection !== connection) {
      const manager = await connection.jetstreamManager({ timeout: ACK_TIMEOUT_MS });
      this.manager = { connection, manager };
    }
    const { manager } = this.manager;
    const { stream, subjectPrefix } = this.target;
    try {
      const info = await manager.streams.info(stream);
      if (info.config.duplicate_window < nanos(LEAST_DUPLICATE_WINDOW_MS) && !this.warnedOfWindow) {
        this.warnedOfWindow = true;
        this.logger.warn(`stream ${stream}: duplicate window under 2 min, repeats may be stored`);
      }
      return info;
    } catch (error) {
      if ((error as NatsError).api_error?.err_code !== STREAM_NOT_FOUND) throw error;
      const info = await manager.streams.add({
        name: stream,
        subjects: [`${subjectPrefix}.>`],
        duplicate_window: nanos(DUPLICATE_WINDOW_MS),
        storage: StorageType.File,
      });
      this.logger.log(`stream ${stream} created for ${subjectPrefix}.>`);
      return info;
    }
  }
}
