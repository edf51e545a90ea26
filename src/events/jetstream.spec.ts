import { Logger } from '@nestjs/common';
import { type connect, type JetStreamPublishOptions, nanos, type PubAck } from 'nats';
import type { EventRow } from './events.repository';
import { JetStreamPublisher } from './jetstream';

const TARGET = { servers: 'nats://127.0.0.1:1', stream: 'S', subjectPrefix: 'p' };
const ROW = { id: 'e1', type: 'order.created', userId: 'u1' } as EventRow;

/** Lets the promise callbacks queued so far run (fake timers leave microtasks alone). */
const settle = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('JetStreamPublisher while NATS refuses connections', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('keeps one loop of attempts, one a second, however many publishes find no connection', async () => {
    let attempts = 0;
    // NATS refusing, as the client reports it: at once, every time.
    const refusing = (() => {
      attempts++;
      return Promise.reject(new Error('CONNECTION_REFUSED'));
    }) as unknown as typeof connect;
    const logger = new Logger('jetstream.spec');
    jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    const publisher = new JetStreamPublisher(TARGET, logger, refusing);
    publisher.start(() => undefined);
    await settle();
    expect(attempts).toBe(1);

    // The relay retries its batch now and then; each publish finds no connection and asks again.
    for (let i = 0; i < 5; i++) {
      await expect(publisher.publishInOrder([{ event: ROW, body: '{}' }])).rejects.toThrow(
        'not connected to NATS',
      );
      await settle();
    }
    expect(attempts).toBe(1);

    for (let second = 1; second <= 3; second++) {
      jest.advanceTimersByTime(1_000);
      await settle();
      expect(attempts).toBe(1 + second);
    }

    await publisher.close();
    jest.advanceTimersByTime(5_000);
    await settle();
    expect(attempts).toBe(4); // closed: the loop ends with the timer already set
  });
});

/**
 * A connected publisher on a stand-in for NATS whose stream has `replicas`; `answer` acknowledges
 * or refuses each publish. Records each publish's id, expectation and the publishes then unsettled.
 */
async function publisherTo(
  { replicas, peers = 0 }: { replicas: number; peers?: number },
  answer: (id: string) => Promise<Partial<PubAck>>,
) {
  const sent: { id: string; expect: unknown; unsettled: number }[] = [];
  let unsettled = 0;
  const info = {
    config: { num_replicas: replicas, duplicate_window: nanos(300_000) },
    cluster: { replicas: Array.from({ length: peers }, (_, peer) => ({ name: `n${peer}` })) },
  };
  const connection = {
    isClosed: () => false,
    jetstreamManager: () => Promise.resolve({ streams: { info: () => Promise.resolve(info) } }),
    jetstream: () => ({
      publish: (_subject: string, _data: Uint8Array, options: JetStreamPublishOptions) => {
        sent.push({ id: options.msgID, expect: options.expect, unsettled: ++unsettled });
        return answer(options.msgID).finally(() => unsettled--);
      },
    }),
    status: async function* () {},
    drain: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  const connecting = (() => Promise.resolve(connection)) as unknown as typeof connect;
  const publisher = new JetStreamPublisher(TARGET, new Logger('jetstream.spec'), connecting);
  await new Promise<void>((connected) => publisher.start(connected));
  return { publisher, sent };
}

const events = ['e1', 'e2', 'e3'].map((id) => ({ event: { ...ROW, id }, body: '{}' }));
const acknowledged = (seq: number) => Promise.resolve({ seq, duplicate: false });

describe('JetStreamPublisher, by the stream’s replicas', () => {
  it('sends a batch at once to a stream of one replica, each expecting the one before', async () => {
    const { publisher, sent } = await publisherTo({ replicas: 1 }, () => acknowledged(1));
    expect(await publisher.publishInOrder(events)).toEqual([
      { repeat: false },
      { repeat: false },
      { repeat: false },
    ]);
    expect(sent).toEqual([
      { id: 'e1', expect: {}, unsettled: 1 },
      { id: 'e2', expect: { lastMsgID: 'e1' }, unsettled: 2 },
      { id: 'e3', expect: { lastMsgID: 'e2' }, unsettled: 3 },
    ]);
    await publisher.close();
  });

  it.each([
    ['three replicas', { replicas: 3 }],
    ['one replica being moved (a peer beside its leader)', { replicas: 1, peers: 1 }],
  ])(
    'sends one event at a time to a stream of %s, no expectations, to the first failure',
    async (_case, stream) => {
      const { publisher, sent } = await publisherTo(stream, (id) =>
        id === 'e2' ? Promise.reject(new Error('timeout')) : acknowledged(1),
      );
      const outcomes = await publisher.publishInOrder(events);
      expect(outcomes).toEqual([
        { repeat: false },
        { error: new Error('timeout'), outOfTurn: false },
      ]);
      expect(sent).toEqual([
        { id: 'e1', expect: {}, unsettled: 1 },
        { id: 'e2', expect: {}, unsettled: 1 },
      ]);
      await publisher.close();
    },
  );

  it('does not take the ack of a repeat still being stored (sequence 0) as acknowledged', async () => {
    const { publisher } = await publisherTo({ replicas: 3 }, () =>
      Promise.resolve({ seq: 0, duplicate: true }),
    );
    const [outcome] = await publisher.publishInOrder(events.slice(0, 1));
    expect(outcome).toMatchObject({ outOfTurn: false });
    expect('error' in outcome).toBe(true);
    await publisher.close();
  });
});
