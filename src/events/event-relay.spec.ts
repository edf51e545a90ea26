import { Logger } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import * as advisoryLocks from '../database/advisory-locks';
import type { Notifications } from '../database/notifications';
import type { Transactions } from '../database/transactions';
import type { EventMetrics } from './event-metrics';
import { EventRelay } from './event-relay';
import type { EventRelayRepository } from './event-relay.repository';
import type { EventRow } from './events.repository';

const ROW: EventRow = {
  id: 'e1',
  type: 'order.created',
  subject: 'o1',
  time: new Date(),
  data: {},
  position: '1',
};

/**
 * A relay whose lock is held, or not, as `lock.held` says, with NATS unreachable (nothing listens
 * on port 1): its publishes fail, as they do while NATS is down.
 */
function relayWithLock(lock: { held: boolean }) {
  jest.spyOn(advisoryLocks, 'tryXactLock').mockImplementation(() => Promise.resolve(lock.held));
  const relay = relayOn({
    unpublished: () => Promise.resolve([ROW]),
    movePublishedThrough: () => Promise.resolve(),
  });
  return { relay, drain: () => drainOf(relay) };
}

/** A relay on these stubs, its transactions `work({})`, its NATS at port 1 until replaced. */
function relayOn(relayRepository: object, metrics: object = {}) {
  return new EventRelay(
    relayRepository as EventRelayRepository,
    { run: (work: (tx: object) => unknown) => work({}) } as Transactions,
    {} as Notifications,
    metrics as EventMetrics,
    { natsUrl: 'nats://127.0.0.1:1', natsStream: 'S', natsSubjectPrefix: 'p' } as AppConfig,
  );
}

const drainOf = (relay: EventRelay) => (relay as unknown as { drain(): Promise<void> }).drain();

describe('EventRelay while NATS is down', () => {
  const said: string[] = [];
  /** The publisher's first attempt at NATS ended (it is real: port 1 refuses it at once). */
  let refused: Promise<void>;
  let refusedNow: () => void;
  beforeEach(() => {
    said.length = 0;
    refused = new Promise((resolve) => (refusedNow = resolve));
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    for (const level of ['log', 'warn'] as const)
      jest
        .spyOn(Logger.prototype, level)
        .mockImplementation((message: unknown, ..._rest: unknown[]) => {
          said.push(`${level}: ${String(message)}`);
          if (String(message).startsWith('NATS connection failed')) refusedNow();
        });
  });
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('keeps backing off, and says nothing of NATS, across passes another replica relayed in', async () => {
    const lock = { held: true };
    const { relay, drain } = relayWithLock(lock);
    try {
      await drain(); // fails: 500 ms
      jest.setSystemTime(Date.now() + 1_000);
      lock.held = false;
      await drain(); // the other replica's turn
      jest.setSystemTime(Date.now() + 1_000);
      lock.held = true;
      await drain(); // fails again: the back-off doubles
      expect(said.filter((line) => !line.includes('NATS connection failed'))).toEqual([
        'warn: events not published (not connected to NATS); retrying in 500 ms',
        'warn: events not published (not connected to NATS); retrying in 1000 ms',
      ]);
    } finally {
      await refused; // within the test, not in whatever runs after it
      await relay.onApplicationShutdown();
    }
  });
});

describe('EventRelay, a publish failing in a batch', () => {
  const rows = ['1', '2', '3'].map((position) => ({ ...ROW, id: `e${position}`, position }));
  afterEach(() => jest.restoreAllMocks());

  it.each([
    ['none', null, ['1', '2', '3'], '3'],
    ['the second', '2', ['1'], '1'],
    ['the first', '1', [], null],
  ])(
    'moves the progress to the last event acknowledged before it: %s failing',
    async (_case, failing, acknowledged, movedTo) => {
      jest.spyOn(advisoryLocks, 'tryXactLock').mockResolvedValue(true);
      jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const movePublishedThrough = jest.fn((_tx: object, _through: string) => Promise.resolve());
      const relay = relayOn(
        { unpublished: () => Promise.resolve(rows), movePublishedThrough },
        { acknowledged: () => undefined },
      );
      const published: string[] = [];
      // In place of NATS: acknowledges every event but the failing one, in the order sent.
      Object.assign(relay, {
        publisher: {
          publish: (row: EventRow) => {
            if (row.position === failing) return Promise.reject(new Error('no ack'));
            published.push(row.position);
            return Promise.resolve(false);
          },
        },
      });
      await drainOf(relay);
      expect(published).toEqual(acknowledged);
      const moves = movePublishedThrough.mock.calls.map(([, through]) => through);
      expect(moves).toEqual(movedTo === null ? [] : [movedTo]);
    },
  );
});
