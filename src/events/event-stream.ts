import type { ServerResponse } from 'node:http';
import type { EventCursors } from './event-cursor';
import type { EventRow } from './events.repository';
import { toCloudEvent } from './events.service';

/**
 * Bytes a stream may have waiting in its socket's buffer (beyond what the kernel's holds). Past
 * it the client is not keeping up: rather than hold more, the connection is cut and the client
 * resumes with Last-Event-ID (from what it did receive), so nothing is lost. Small, because every
 * open stream of a process may hold this much in its heap: MAX_STREAMS of them must fit.
 */
export const MAX_BUFFERED_BYTES = 64 * 1024;

const HEARTBEAT = ': heartbeat\n\n';
/** The SSE event name of a stream's first message (no event type has this name: theirs have a dot). */
export const START_EVENT = 'start';

/** Why the service ended a stream (a client that leaves ends its own: `client`). */
export type StreamEnd = 'shutdown' | 'token_expired' | 'events_deleted' | 'slow_reader';

/**
 * One open `text/event-stream` answer: the caller whose events it carries and the position of the
 * last one it was sent. Writes never wait; a client that cannot keep up is disconnected.
 */
export class EventStream {
  private closed = false;
  /** Set when the service ended it; null while open, or when the client left first. */
  endedBy: StreamEnd | null = null;

  constructor(
    readonly userId: string,
    private readonly response: ServerResponse,
    /** Sent everything up to here (an event position). */
    public position: bigint,
    /** When the caller's token expires: the stream ends then, and a reconnect needs a fresh one. */
    readonly endsAtMs = Infinity,
  ) {}

  get isOpen(): boolean {
    return !this.closed && !this.response.destroyed;
  }

  /**
   * Where the stream starts: a `start` message with the cursor as its id and empty data, so a
   * client cut off before its first event still resumes from here, not from a later "now".
   * It is named so that EventSource's `onmessage` never sees it; an id-only message would not
   * be dispatched either, but parsers such as eventsource-parser then drop its id.
   */
  sendStart(cursors: EventCursors) {
    this.write(`id: ${cursors.encode(this.position)}\nevent: ${START_EVENT}\ndata:\n\n`);
  }

  /** Sends the messages after this stream's position, oldest first; those already sent are skipped. */
  send(messages: StreamMessage[]) {
    for (const { position, text } of messages) {
      if (position <= this.position || !this.isOpen) continue;
      this.write(text);
      this.position = position;
    }
  }

  heartbeat() {
    this.write(HEARTBEAT);
  }

  /**
   * Ends the answer normally (shutdown, the token expired, events deleted under it): the client
   * reconnects, to this or another replica (with a fresh token).
   */
  end(reason: Exclude<StreamEnd, 'slow_reader'>) {
    if (!this.closed) this.endedBy = reason;
    this.closed = true;
    if (this.response.destroyed) return;
    // A client that reads nothing would never let a graceful end finish, nor free its slot: cut
    // it. It resumes after what it received.
    if (this.response.writableLength > 0) this.response.destroy();
    else this.response.end();
  }

  private write(text: string) {
    if (!this.isOpen) return;
    this.response.write(text);
    if (this.response.writableLength > MAX_BUFFERED_BYTES) {
      this.endedBy = 'slow_reader';
      this.closed = true;
      this.response.destroy(); // too slow a reader: it resumes after what it received
    }
  }
}

/** An event as an SSE message, and its position. */
export interface StreamMessage {
  position: bigint;
  text: string;
}

/**
 * The rows as SSE messages: the cursor as `id`, the type as `event`, the CloudEvent as `data`.
 * Made once for all of a user's streams, which then hold the same strings in their buffers
 * rather than a copy each.
 */
export function streamMessages(rows: EventRow[], cursors: EventCursors): StreamMessage[] {
  return rows.map((row) => {
    const cloudEvent = JSON.stringify(toCloudEvent(row)); // JSON text has no raw line breaks
    const text = `id: ${cursors.encode(row.position)}\nevent: ${row.type}\ndata: ${cloudEvent}\n\n`;
    return { position: BigInt(row.position), text };
  });
}
