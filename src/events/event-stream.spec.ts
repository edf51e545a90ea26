import type { ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { EventCursors } from './event-cursor';
import { EventStream, MAX_BUFFERED_BYTES, streamMessages } from './event-stream';
import type { EventRow } from './events.repository';

const cursors = new EventCursors(Buffer.alloc(32, 7));

/** A socket whose reader never reads: everything written stays in its buffer. */
const stalledResponse = () =>
  new Writable({ highWaterMark: 16 * 1024, write: () => undefined }) as unknown as ServerResponse;

const row = (position: number, size = 100): EventRow => ({
  id: `0190a000-0000-7000-8000-${String(position).padStart(12, '0')}`,
  type: 'order.created',
  subject: '0190a000-0000-7000-8000-000000000000',
  time: new Date(0),
  data: { note: 'x'.repeat(size) },
  position: String(position),
});

describe('EventStream', () => {
  it('sends each position once, in order, and skips what it already sent', () => {
    const written: string[] = [];
    const response = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        written.push(chunk.toString());
        done();
      },
    }) as unknown as ServerResponse;
    const stream = new EventStream('user', response, 2n);
    stream.send(streamMessages([row(1), row(2), row(3)], cursors));
    stream.send(streamMessages([row(3), row(4)], cursors));
    expect(written.map((text) => /^id: (\S+)/.exec(text)?.[1])).toEqual(
      [3, 4].map((p) => cursors.encode(String(p))),
    );
    expect(stream.position).toBe(4n);
  });

  it('cuts a reader that lets more than MAX_BUFFERED_BYTES pile up, rather than hold more', () => {
    const response = stalledResponse();
    const stream = new EventStream('user', response, 0n);
    const rows = Array.from({ length: 40 }, (_, i) => row(i + 1, 64 * 1024));
    stream.send(streamMessages(rows, cursors));
    expect(response.destroyed).toBe(true);
    expect(stream.isOpen).toBe(false);
    // It stopped at the first write past the limit: at most one event more than the limit holds.
    expect(Number(stream.position)).toBeLessThanOrEqual(MAX_BUFFERED_BYTES / (64 * 1024) + 1);
  });
});
