import { Logger } from '@nestjs/common';
import type { connect } from 'nats';
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
