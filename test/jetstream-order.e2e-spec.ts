import { Logger } from '@nestjs/common';
import type { EventRow } from '../src/events/events.repository';
import { JetStreamPublisher, type OutgoingEvent } from '../src/events/jetstream';
import { createStream, deleteStream, ownStream, runNatsUrl, streamMessages } from './support/nats';

const outgoing = (id: string, bodyBytes = 20): OutgoingEvent => ({
  event: { id, type: 'order.created', userId: 'u1', position: '1' } as EventRow,
  body: JSON.stringify({ id, padding: 'x'.repeat(bodyBytes) }),
});

/**
 * The publisher against the run's JetStream: a batch goes out at once, and the expectation each
 * event carries (the one before it last in the stream) keeps the stream in the batch's order.
 */
describe('events: a batch published in order without awaiting each ack (JetStream)', () => {
  let names: ReturnType<typeof ownStream>;
  let publisher: JetStreamPublisher;
  const stored = async () =>
    (await streamMessages(runNatsUrl(), names.NATS_STREAM)).map((message) => message.msgId);

  // A stream of each test's own, made here as an operator would, its largest message small
  // enough that one event of a batch can be refused.
  beforeEach(async () => {
    names = ownStream();
    await createStream(runNatsUrl(), names.NATS_STREAM, `${names.NATS_SUBJECT_PREFIX}.>`, 1024);
    publisher = new JetStreamPublisher(
      {
        servers: runNatsUrl(),
        stream: names.NATS_STREAM,
        subjectPrefix: names.NATS_SUBJECT_PREFIX,
      },
      new Logger('jetstream-order.e2e'),
    );
    await new Promise<void>((connected) => publisher.start(connected));
  });
  afterEach(async () => {
    await publisher.close();
    await deleteStream(runNatsUrl(), names.NATS_STREAM);
  });

  it('stores none after one it did not store, the later ones refused out of turn', async () => {
    const outcomes = await publisher.publishInOrder([
      outgoing('a'),
      outgoing('too-large', 2_000),
      outgoing('b'),
    ]);
    expect(outcomes[0]).toEqual({ repeat: false });
    expect(outcomes[1]).toMatchObject({ outOfTurn: false });
    expect(outcomes[2]).toMatchObject({ outOfTurn: true });
    expect(await stored()).toEqual(['a']);
  });

  it('takes a batch sent again after a crash as repeats, and goes on past them', async () => {
    expect(await publisher.publishInOrder([outgoing('a'), outgoing('b')])).toEqual([
      { repeat: false },
      { repeat: false },
    ]);
    // The progress had not passed them: JetStream drops each repeat before its expectation.
    expect(await publisher.publishInOrder([outgoing('a'), outgoing('b'), outgoing('c')])).toEqual([
      { repeat: true },
      { repeat: true },
      { repeat: false },
    ]);
    expect(await stored()).toEqual(['a', 'b', 'c']);
  });

  it('refuses an event whose one before is not last in the stream; takes it first in a batch', async () => {
    await publisher.publishInOrder([outgoing('a'), outgoing('b')]);
    // `a` is a repeat, and `b` is last in the stream: `c` expects `a` and is refused.
    const outcomes = await publisher.publishInOrder([outgoing('a'), outgoing('c')]);
    expect(outcomes[0]).toEqual({ repeat: true });
    expect(outcomes[1]).toMatchObject({ outOfTurn: true });
    expect(await publisher.publishInOrder([outgoing('c')])).toEqual([{ repeat: false }]);
    expect(await stored()).toEqual(['a', 'b', 'c']);
  });
});
