import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { ApiError } from './problem.js';
import {
  isBusyOrGatewayFailure,
  isTransportFailure,
  jitteredBackoffMs,
  pause,
  retryAfterMs,
} from './retry.js';
import type { components } from './schema.js';

export type CloudEvent = components['schemas']['CloudEventResponse'];

/** One event of the stream and the cursor to resume strictly after it. */
export interface StreamedEvent {
  /** As the feed's `nextCursor`: pass it as `after` to resume after this event. */
  cursor: string;
  event: CloudEvent;
}

export interface EventStreamOptions {
  /** Start strictly after this cursor; without it, only events from the first connection on. */
  after?: string;
  /** Aborting it ends the iteration (no error) and closes the connection. */
  signal?: AbortSignal;
  /** First pause before reconnecting; it doubles (with jitter) per failed attempt. Default 500 ms. */
  baseDelayMs?: number;
  /** Longest pause between reconnects. Default 30 s. */
  maxDelayMs?: number;
  /**
   * A connection silent this long (the service sends a heartbeat every 15 s) is taken for dead and
   * replaced. Default 45 s.
   */
  idleTimeoutMs?: number;
}

/** Opens one connection: GET /api/events/stream with Last-Event-ID when there is one. */
export type OpenStream = (
  lastEventId: string | undefined,
  signal: AbortSignal,
) => Promise<Response>;

/**
 * The caller's events, as they commit, for as long as the caller iterates. A dropped connection
 * (network, server restart, too slow a reader) is reopened after a backoff with Last-Event-ID, the
 * cursor of the last event yielded (or the stream's start), so nothing is lost and nothing
 * repeats. 502, 503, 504 and 429 are retried too; any other non-2xx rejects with an ApiError.
 */
export async function* streamEvents(
  open: OpenStream,
  options: EventStreamOptions = {},
): AsyncGenerator<StreamedEvent, void, undefined> {
  const settings = { baseDelayMs: 500, maxDelayMs: 30_000, idleTimeoutMs: 45_000, ...options };
  let cursor = options.after;
  for (let failures = 0; !options.signal?.aborted;) {
    const connection = new Connection(settings.idleTimeoutMs, options.signal);
    let delay: number | null = null;
    try {
      const response = await open(cursor, connection.signal);
      if (!response.ok) delay = await refusal(response);
      else {
        for await (const message of connection.messages(response)) {
          failures = 0; // it answered: the next drop starts the backoff afresh
          cursor = message.id ?? cursor;
          // The stream's start marker (`event: start`, no data) only moves the cursor.
          if (message.data !== '') yield { cursor: cursor!, event: JSON.parse(message.data) };
        }
      }
    } catch (error) {
      if (options.signal?.aborted) return;
      if (!isTransportFailure(error) && !connection.timedOut) throw error;
    } finally {
      connection.close();
    }
    failures++;
    const backoff = jitteredBackoffMs(failures, { attempts: Infinity, ...settings }, Math.random);
    await pause(Math.max(delay ?? 0, backoff), options.signal).catch(() => undefined);
  }
}

/** How long to wait after a non-2xx answer; throws the ApiError when it is not worth retrying. */
async function refusal(response: Response): Promise<number> {
  const body: unknown = await response.json().catch(() => undefined);
  if (!isBusyOrGatewayFailure(response.status)) throw new ApiError(response.status, body);
  return retryAfterMs(response.headers.get('Retry-After')) ?? 0;
}

/** One connection's lifetime: the caller's signal, plus an abort of our own when it falls silent. */
class Connection {
  private readonly controller = new AbortController();
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  timedOut = false;
  readonly signal: AbortSignal;

  constructor(
    private readonly idleTimeoutMs: number,
    callerSignal: AbortSignal | undefined,
  ) {
    this.signal = callerSignal
      ? AbortSignal.any([callerSignal, this.controller.signal])
      : this.controller.signal;
    this.touch();
  }

  /** The body's SSE messages as they arrive, parsed by eventsource-parser. */
  async *messages(response: Response): AsyncGenerator<EventSourceMessage> {
    if (!response.body) return;
    const queue: EventSourceMessage[] = [];
    const parser = createParser({ onEvent: (message) => queue.push(message) });
    // A reader rather than `for await` over the stream: Safari's streams are not async iterable.
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    // The body is cancelled here, on abort and when the loop is left, rather than left to fetch's
    // signal: Node's fetch (undici) follows that signal only while the Request it was given is
    // alive, and nothing holds it once the body streams, so after a garbage collection an abort,
    // the idle timeout or a `break` would no longer close the connection.
    const cancel = () => void reader.cancel().catch(() => undefined);
    this.signal.addEventListener('abort', cancel, { once: true });
    if (this.signal.aborted) cancel();
    try {
      for (let read = await reader.read(); !read.done; read = await reader.read()) {
        this.touch();
        parser.feed(read.value);
        yield* queue.splice(0);
      }
    } finally {
      this.signal.removeEventListener('abort', cancel);
      cancel();
    }
    throw new TypeError('the event stream ended'); // the server closed it: reconnect
  }

  close() {
    clearTimeout(this.idleTimer);
    this.controller.abort();
  }

  private touch() {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort();
    }, this.idleTimeoutMs);
  }
}
