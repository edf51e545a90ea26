import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import type { Notifications } from '../database/notifications';
import type { Transactions } from '../database/transactions';
import { ServiceUnavailableError } from '../http/problem';
import type { Metrics } from '../metrics/metrics';
import { EventCursors } from './event-cursor';
import { START_EVENT } from './event-stream';
import { EventStreamHub, MAX_STREAMS, MAX_STREAMS_PER_USER } from './event-stream-hub';
import { TooManyStreamsError } from './events.errors';
import type { EventRow, EventsRepository } from './events.repository';

const cursors = new EventCursors(Buffer.alloc(32, 7));

const USER = '0190a000-0000-7000-8000-00000000000a';

const row = (position: number): EventRow => ({
  id: `0190a000-0000-7000-8000-${String(position).padStart(12, '0')}`,
  type: 'order.created',
  subject: '0190a000-0000-7000-8000-000000000000',
  time: new Date(0),
  data: {},
  position: String(position),
});

/** A stream's answer that keeps the positions of the events written to it. */
function recordingResponse() {
  const positions: number[] = [];
  const response = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      const [, id, event] = /^id: (\S+)\n(?:event: (\S+))?/.exec(chunk.toString()) ?? [];
      if (id && event && event !== START_EVENT) positions.push(Number(cursors.decode(id)));
      done();
    },
  }) as unknown as ServerResponse;
  return { response, positions };
}

/** The user's events 1..last, each read answered only when the test says so. */
function heldReads(last: number, deletedThrough = '0') {
  const reads: { after: number; answer: () => void }[] = [];
  const events = {
    retainedPageOwned: (_tx: unknown, _userId: string, after: string, limit: number) =>
      new Promise<{ rows: EventRow[]; deletedThrough: string }>((resolve) => {
        const rows = Array.from({ length: last }, (_, i) => row(i + 1)).filter(
          (event) => Number(event.position) > Number(after),
        );
        const page = { rows: rows.slice(0, limit), deletedThrough };
        reads.push({ after: Number(after), answer: () => resolve(page) });
      }),
  } as unknown as EventsRepository;
  return { events, reads };
}

function hub(events: EventsRepository) {
  const registry = new Registry();
  const streams = new EventStreamHub(
    events,
    { autocommit: {} } as unknown as Transactions,
    {} as Notifications,
    cursors,
    { registry } as unknown as Metrics,
  );
  const values = async (name: string) => (await registry.getSingleMetric(name)!.get()).values;
  const open = () => values('events_streams_open');
  return { streams, open, values };
}

async function until(condition: () => boolean) {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

describe('EventStreamHub', () => {
  it('gives a stream that attaches during a read, further back, the events before that read', async () => {
    const { events, reads } = heldReads(5);
    const { streams } = hub(events);
    const first = recordingResponse();
    const second = recordingResponse();
    streams.attach(USER, first.response, '3');
    await until(() => reads.length === 1);
    streams.attach(USER, second.response, '1'); // a reconnect, while the read from 3 is out
    reads[0].answer();
    await until(() => reads.length === 2);
    expect(reads[1].after).toBe(1);
    reads[1].answer();
    await until(() => second.positions.length === 4);
    expect(second.positions).toEqual([2, 3, 4, 5]);
    expect(first.positions).toEqual([4, 5]);
  });

  it('ends a stream behind events the retention has deleted, and sends it none of the rest', async () => {
    const { events, reads } = heldReads(5, '3');
    const { streams } = hub(events);
    const behind = recordingResponse();
    const caughtUp = recordingResponse();
    streams.attach(USER, behind.response, '2');
    streams.attach(USER, caughtUp.response, '3');
    await until(() => reads.length === 1);
    reads[0].answer();
    await until(() => behind.response.writableEnded);
    expect(behind.positions).toEqual([]);
    await until(() => caughtUp.positions.length === 2);
    expect(caughtUp.positions).toEqual([4, 5]);
  });

  it('counts the streams attached, and those ended by why', async () => {
    const { events, reads } = heldReads(5, '3');
    const { streams, values } = hub(events);
    const behind = recordingResponse();
    const leaving = recordingResponse();
    streams.attach(USER, behind.response, '2');
    streams.attach(USER, leaving.response, '3');
    expect(await values('events_streams_opened_total')).toEqual([{ value: 2, labels: {} }]);
    const closed = [once(behind.response, 'close'), once(leaving.response, 'close')];
    reads[0].answer();
    await closed[0];
    leaving.response.destroy(); // the client leaves
    await closed[1];
    expect(await values('events_streams_ended_total')).toEqual([
      { value: 1, labels: { reason: 'events_deleted' } },
      { value: 1, labels: { reason: 'client' } },
    ]);
  });

  it('does not keep a stream whose client left before it was attached', async () => {
    const { events, reads } = heldReads(1);
    const { streams, open } = hub(events);
    const gone = recordingResponse();
    gone.response.destroy();
    await until(() => gone.response.closed);
    streams.attach(USER, gone.response, '0');
    expect(reads).toHaveLength(0);
    expect(await open()).toEqual([{ value: 0, labels: {} }]);
  });

  it('admits MAX_STREAMS_PER_USER streams of a user and MAX_STREAMS in all, then refuses (429, 503)', () => {
    const { events } = heldReads(0);
    const { streams } = hub(events);
    const users = Array.from({ length: MAX_STREAMS / MAX_STREAMS_PER_USER }, (_, i) =>
      USER.replace(/a$/, i.toString(16)),
    );
    for (const user of users) {
      for (let n = 0; n < MAX_STREAMS_PER_USER; n++) {
        streams.admit(user);
        streams.attach(user, recordingResponse().response, '0');
      }
    }
    expect(() => streams.admit(users[0])).toThrow(TooManyStreamsError);
    expect(() => streams.admit('0190a000-0000-7000-8000-0000000000ff')).toThrow(
      ServiceUnavailableError,
    );
  });
});
