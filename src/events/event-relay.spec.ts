import { Logger } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import * as advisoryLocks from '../database/advisory-locks';
import type { Notifications } from '../database/notifications';
import type { Transactions } from '../database/transactions';
import type { EventMetrics } from './event-metrics';
import { EventRelay } from './event-relay';
import type { EventRelayRepository } from './event-relay.repository';
import type { EventRow } from './events.repository';
import type { OutgoingEvent, PublishOutcome } from './jetstream';

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

  /**
   * In place of NATS, answering as JetStream does: `refuse(event)` says how an event is not stored
   * (its publish failing, or out of turn), and every event after one not stored is refused for
   * expecting it last in the stream; or `STOP`: the publisher gives no outcome from that event on
   * (out of time, one at a time to a replicated stream).
   */
  function relayPublishing(refuse: (position: string) => PublishOutcome | typeof STOP | null) {
    jest.spyOn(advisoryLocks, 'tryXactLock').mockResolvedValue(true);
    const warned: string[] = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message) => {
      warned.push(String(message));
    });
    let through = '0';
    const movePublishedThrough = jest.fn((_tx: object, position: string) => {
      through = position;
      return Promise.resolve();
    });
    const unpublished = () => Promise.resolve(rows.filter(({ position }) => position > through));
    const relay = relayOn({ unpublished, movePublishedThrough }, { acknowledged: () => undefined });
    const published: string[] = [];
    const publishInOrder = (events: OutgoingEvent[]) => {
      const outcomes: PublishOutcome[] = [];
      let stored = true;
      for (const { event } of events) {
        const refused = stored ? refuse(event.position) : OUT_OF_TURN;
        if (refused === STOP) break;
        if (refused) stored = false;
        else published.push(event.position);
        outcomes.push(refused ?? { repeat: false });
      }
      return Promise.resolve(outcomes);
    };
    Object.assign(relay, { publisher: { publishInOrder } });
    const moves = () => movePublishedThrough.mock.calls.map(([, position]) => position);
    return { drain: () => drainOf(relay), published, moves, warned };
  }

  it.each([
    ['none', null, ['1', '2', '3'], '3'],
    ['the second', '2', ['1'], '1'],
    ['the first', '1', [], null],
  ])(
    'moves the progress to the last event acknowledged before it: %s failing',
    async (_case, failing, acknowledged, movedTo) => {
      const { drain, published, moves, warned } = relayPublishing((position) =>
        position === failing ? { error: new Error('no ack'), outOfTurn: false } : null,
      );
      await drain();
      expect(published).toEqual(acknowledged);
      expect(moves()).toEqual(movedTo === null ? [] : [movedTo]);
      expect(warned.some((line) => line.startsWith('events not published'))).toBe(!!failing);
    },
  );

  it.each([
    ['an event was refused out of turn', () => OUT_OF_TURN],
    ['the publisher stopped early (out of time), without a failure', (): typeof STOP => STOP],
  ])('goes on at once, without backing off, when %s', async (_case, cut) => {
    let cuts = 0;
    const { drain, published, moves, warned } = relayPublishing((position) =>
      position === '2' && cuts++ === 0 ? cut() : null,
    );
    await drain();
    expect(published).toEqual(['1', '2', '3']);
    expect(moves()).toEqual(['1', '3']);
    expect(warned.filter((line) => line.startsWith('events not published'))).toEqual([]);
  });
});

const OUT_OF_TURN: PublishOutcome = { error: new Error('wrong last msg ID: x'), outOfTurn: true };
const STOP = 'stop' as const;
