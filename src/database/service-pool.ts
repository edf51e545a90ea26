import { Socket } from 'node:net';
import * as pg from 'pg';

/** What a statement fails with once its server has gone silent (503: database-errors.ts). */
export const QUERY_READ_TIMEOUT = 'Query read timeout';

export interface ServicePoolConfig extends pg.PoolConfig {
  /**
   * A connection waiting for an answer, with no byte either way for this long, is closed, failing
   * its statement with QUERY_READ_TIMEOUT; unset, no limit (migrations).
   */
  silenceTimeoutMillis?: number;
}

/**
 * pg's Pool, with every client it opens keeping an `error` listener for life, and closed should
 * its server go silent while it waits (`closeWhenSilent`). TypeORM listens for errors only while a
 * client is checked out and stops as it releases a failed one; a killed backend then emits its
 * second error ("Connection terminated unexpectedly") with no listener, which would crash the
 * process. The failure itself still reaches the statement that hit it.
 */
export class ServicePool extends pg.Pool {
  constructor(config: ServicePoolConfig = {}) {
    super(config);
    const { silenceTimeoutMillis } = config;
    if (silenceTimeoutMillis) assertWatchable();
    this.on('connect', (client) => {
      client.on('error', () => undefined);
      if (silenceTimeoutMillis) closeWhenSilent(client, silenceTimeoutMillis);
    });
  }
}

interface ClientInternals {
  connection: { stream: Socket };
  /** False from a statement's sending to its last answer (node-postgres's own flag). */
  readyForQuery?: boolean;
}

/**
 * The watch reads node-postgres's internals: checked once, on a client never connected, so that an
 * upgrade that moves the socket stops the pool's creation (and the service's start) rather than
 * leaving connections unwatched. `readyForQuery` exists only once a client has connected:
 * test/silent-server.e2e-spec.ts pins it.
 */
function assertWatchable() {
  const probe = new pg.Client() as unknown as Partial<ClientInternals>;
  if (!(probe.connection?.stream instanceof Socket))
    throw new Error('node-postgres changed: a client has no socket to watch for silence');
}

/**
 * A server that stops answering (a frozen host, a silent partition) must not hang requests for the
 * kernel's TCP timeout. The socket's own idle timer, one per connection and pushed back by every
 * byte either way, fires after `ms` of silence, and again after each later silence; if the client
 * is waiting for an answer then, its socket is closed, which fails the statement (and any queued
 * behind it), and the pool discards the connection. An idle pooled connection is left alone.
 * Not node-postgres's `query_timeout`: that arms a timer per statement whose closure holds the
 * statement's callback, and through it every request waiting on the statement. Without it, a
 * smaller share of the bytes a create allocates was promoted into V8's old generation under load;
 * with the in-flight map's and the batch queue's changes too, major collections, which pause
 * every request in flight, came half as often (bench/README.md, "What reaches the old
 * generation"; why V8 kept the objects was not established).
 */
function closeWhenSilent(client: pg.PoolClient, ms: number) {
  const internals = client as unknown as ClientInternals;
  const socket = internals.connection.stream;
  socket.setTimeout(ms);
  // Not setTimeout's callback: that listens once, and an idle spell would end the watch.
  socket.on('timeout', () => {
    if (!internals.readyForQuery) socket.destroy(new Error(QUERY_READ_TIMEOUT));
  });
}
