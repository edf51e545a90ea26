import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { sessionUrlOf } from './data-source';

type Handler = (payload: string | null) => void;

const RECONNECT_AFTER_MS = 1_000;

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
  private stopped = false;

  constructor(private readonly dataSource: DataSource) {}

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
      // As the pool's: a connection that only listens sends nothing, so a peer gone without a
      // reset (failover, partition) is found by TCP keepalive, and 'error' reconnects it.
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
