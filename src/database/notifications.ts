import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Client, type QueryConfig } from 'pg';
import { DataSource } from 'typeorm';
import { sessionUrlOf } from './data-source';

type Handler = (payload: string | null) => void;

const RECONNECT_AFTER_MS = 1_000;
/**
 * The listening connection is asked to answer this often, and is taken for lost when it has not
 * within CHECK_TIMEOUT_MS: TCP keepalive alone, with the system's default probes, would notice a
 * peer gone silently (a partition, a stuck server) only after minutes, with streams idle meanwhile.
 */
const CHECK_EVERY_MS = 15_000;
const CHECK_TIMEOUT_MS = 5_000;

/**
 * PostgreSQL LISTEN for the whole process, on one connection of its own (LISTEN holds a session,
 * so it cannot share the pool, nor go through a transaction pooler). Lost, it reconnects; each
 * handler is then called with null, since notifications sent meanwhile are gone: catch up.
 */
@Injectable()
export class Notifications implements OnApplicationShutdown {
  private readonly logger = new Logger(Notifications.name);
  private readonly handlers = new Map<string, Handler[]>();
  private client: Client | null = null;
  private connecting: Promise<void> | null = null;
  private check: NodeJS.Timeout | null = null;
  private checkTimeoutMs = CHECK_TIMEOUT_MS;
  /** A check still waiting for its answer: the next one is not stacked behind it. */
  private checking = false;
  private stopped = false;

  constructor(private readonly dataSource: DataSource) {
    this.checkEvery(CHECK_EVERY_MS);
  }

  /** How often the connection is checked, and how long it has to answer; tests shorten both. */
  checkEvery(ms: number, timeoutMs = CHECK_TIMEOUT_MS) {
    if (this.check) clearInterval(this.check);
    this.checkTimeoutMs = timeoutMs;
    this.check = setInterval(() => void this.checkAnswers(), ms);
    this.check.unref();
  }

  /**
   * Calls `handler` with each notification's payload on `channel`, from now on. Without a
   * connection it keeps trying in the background (the handler's null says when it has one).
   */
  async listen(channel: string, handler: Handler): Promise<void> {
    const known = this.handlers.get(channel);
    this.handlers.set(channel, [...(known ?? []), handler]);
    try {
      await this.connected();
      if (!known) await this.client?.query(`LISTEN ${quoteIdentifier(channel)}`);
    } catch (error) {
      this.logger.warn(`LISTEN ${channel} failed (${(error as Error).message}); retrying`);
      this.retryLater();
    }
  }

  async onApplicationShutdown() {
    this.stopped = true;
    if (this.check) clearInterval(this.check);
    await this.client?.end().catch(() => undefined);
  }

  private connected(): Promise<void> {
    if (this.client) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => (this.connecting = null));
    return this.connecting;
  }

  private async connect() {
    const client = new Client({
      connectionString: sessionUrlOf(this.dataSource, 'order-service notifications'),
      // A connection that only listens sends nothing: a peer gone without a reset (failover,
      // partition) is found by the check (CHECK_EVERY_MS) or TCP keepalive, and it reconnects.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    client.on('notification', ({ channel, payload }) =>
      this.handlers.get(channel)?.forEach((handle) => handle(payload ?? null)),
    );
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    await client.connect();
    for (const channel of this.handlers.keys())
      await client.query(`LISTEN ${quoteIdentifier(channel)}`);
    this.client = client;
  }

  private async checkAnswers() {
    const client = this.client;
    if (!client || this.checking) return;
    // pg's own per-query timeout, which @types/pg leaves out of QueryConfig.
    const check = { text: 'SELECT 1', query_timeout: this.checkTimeoutMs } as QueryConfig;
    this.checking = true;
    await client
      .query(check)
      .catch((error: Error) => this.lost(client, error))
      .finally(() => (this.checking = false));
  }

  private lost(client: Client, error: Error) {
    if (this.client !== client) return; // not yet connected: its connect() rejects instead
    this.client = null;
    void client.end().catch(() => undefined);
    if (this.stopped) return;
    this.logger.warn(`LISTEN connection lost (${error.message}); reconnecting`);
    this.retryLater();
  }

  private retryLater() {
    if (!this.stopped) setTimeout(() => void this.reconnect(), RECONNECT_AFTER_MS).unref();
  }

  private async reconnect() {
    if (this.stopped || this.client) return;
    try {
      await this.connected();
      for (const handlers of this.handlers.values()) handlers.forEach((handle) => handle(null));
    } catch {
      this.retryLater();
    }
  }
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
