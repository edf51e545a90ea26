import { connect, NatsConnection } from 'nats';
import { type StoredMessage, streamMessages } from '../../support/nats';
import { COUNT_UNPUBLISHED_EVENTS } from '../../support/outbox';
import { waitFor } from '../../support/wait';
import { queryOn } from './jobs';

/**
 * A consumer that sees every publish on the service's subjects (a core NATS subscription, before
 * JetStream's duplicate window drops repeats) and counts them by `Nats-Msg-Id`.
 */
export class PublishCounter {
  readonly seen = new Map<string, number>();
  private constructor(private readonly connection: NatsConnection) {}

  static async on(url: string, subjectPrefix: string): Promise<PublishCounter> {
    const connection = await connect({
      servers: url,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 200,
    });
    const counter = new PublishCounter(connection);
    connection.subscribe(`${subjectPrefix}.>`, {
      callback: (_error, message) => {
        const id = message.headers?.get('Nats-Msg-Id') ?? '';
        counter.seen.set(id, (counter.seen.get(id) ?? 0) + 1);
      },
    });
    await connection.flush();
    return counter;
  }

  get publishes(): number {
    return [...this.seen.values()].reduce((sum, n) => sum + n, 0);
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}

export const unpublishedCount = async (databaseUrl: string) =>
  Number((await queryOn<{ n: string }>(databaseUrl, COUNT_UNPUBLISHED_EVENTS))[0].n);

/** Messages the stream holds after one of a later position: the relay publishes in their order. */
function outOfOrder(stored: StoredMessage[], events: { id: string; position: string }[]) {
  const positionOf = new Map(events.map((event) => [event.id, BigInt(event.position)]));
  let latest = -1n;
  let count = 0;
  for (const message of stored) {
    const position = positionOf.get(message.msgId) ?? -1n;
    if (position < latest) count++;
    else latest = position;
  }
  return count;
}

/**
 * Once the outbox is empty: every event the database holds against what the stream stores. Lost:
 * an event not in the stream; stored twice: a repeat JetStream kept; out of order: stored after an
 * event of a later position.
 */
export async function relayAudit(databaseUrl: string, natsUrl: string, stream: string) {
  await waitFor('every event published', async () => (await unpublishedCount(databaseUrl)) === 0, {
    ms: 60_000,
    every: 200,
  });
  const events = await queryOn<{ id: string; type: string; time: Date; position: string }>(
    databaseUrl,
    'SELECT id, type, time, position FROM events',
  );
  const [{ orders }] = await queryOn<{ orders: string }>(
    databaseUrl,
    'SELECT count(*) AS orders FROM orders',
  );
  const stored = await streamMessages(natsUrl, stream);
  const storedAt = new Map<string, number>();
  for (const message of stored)
    if (!storedAt.has(message.msgId)) storedAt.set(message.msgId, message.storedAt.getTime());
  const storedIds = new Set(storedAt.keys());
  return {
    events: events.length,
    orders: Number(orders),
    orderEvents: events.filter((event) => event.type === 'order.created').length,
    stored: stored.length,
    lost: events.filter((event) => !storedIds.has(event.id)).length,
    storedTwice: stored.length - storedIds.size,
    outOfOrder: outOfOrder(stored, events),
    // From an event's write to JetStream's first store of it.
    maxLagMs: Math.round(
      Math.max(...events.map((event) => (storedAt.get(event.id) ?? NaN) - event.time.getTime())),
    ),
  };
}
