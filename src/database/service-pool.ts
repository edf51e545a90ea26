import type { Socket } from 'node:net';
import * as pg from 'pg';

/** What a statement fails with when its server has gone silent (mapped to 503, database-errors.ts). */
export const QUERY_READ_TIMEOUT = 'Query read timeout';

export interface ServicePoolConfig extends pg.PoolConfig {
  /**
   * A connection waiting for an answer that has heard nothing from its server for this long is
   * closed, failing its statement with QUERY_READ_TIMEOUT; unset, no limit (migrations).
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
    this.on('connect', (client) => {
      client.on('error', () => undefined);
      if (silenceTimeoutMillis) closeWhenSilent(client, silenceTimeoutMillis);
    });
  }
}

interface ClientInternals {
  connection?: { stream?: Socket };
  /** False from a statement's sending to its last answer (node-postgres's own flag). */
  readyForQuery?: boolean;
}

/**
 * A server that stops answering (a frozen host, a silent partition) must not hang requests for the
 * kernel's TCP timeout. The socket's own idle timer, one per connection and pushed back by every
 * byte either way, fires after `ms` of silence, and again after each later silence; if the client
 * is waiting for an answer then, its socket is closed, which fails the statement (and any queued
 * behind it), and the pool discards the connection. An idle pooled connection is left alone.
 * Not node-postgres's `query_timeout`: that arms a timer per statement whose closure holds the
 * statement's callback, and through it every request waiting on the statement. Without it, far
 * fewer of a create's objects reached V8's old generation under load, and major collections,
 * which pause every request in flight, came less often (why V8 kept them was not established:
 * bench/README.md, "What reaches the old generation").
 */
function closeWhenSilent(client: pg.PoolClient, ms: number) {
  const internals = client as unknown as ClientInternals;
  const socket = internals.connection?.stream;
  // node-postgres's internals, read here and by nothing else (test/silent-server.e2e-spec.ts
  // pins both): an upgrade that renames them must fail every connection, not leave it unwatched.
  if (!socket) throw new Error('node-postgres changed: a client has no socket to watch');
  socket.setTimeout(ms);
  // Not setTimeout's callback: that listens once, and an idle spell would end the watch.
  socket.on('timeout', () => {
    if (!internals.readyForQuery) socket.destroy(new Error(QUERY_READ_TIMEOUT));
  });
}
