import { ClientRequest, IncomingHttpHeaders, request } from 'node:http';
import { waitFor } from './wait';

/** One event as the feed and the stream carry it: a CloudEvents 1.0 JSON object. */
export interface CloudEvent {
  specversion: string;
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  datacontenttype: string;
  data: Record<string, unknown>;
}

/** One SSE message as it arrived; `comment` for a `:` line on its own. */
export interface StreamMessage {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
  /** Date.now() when its last line arrived. */
  at: number;
}

export interface OpenStream {
  status: number;
  headers: IncomingHttpHeaders;
  /** Every message so far, the start marker and heartbeats included. */
  messages: StreamMessage[];
  /** The messages that carry an event, their `data` parsed. */
  events(): { id: string; event: string; data: Record<string, unknown>; at: number }[];
  /** Resolves once `count` events have arrived (rejects after `ms`). */
  waitForEvents(count: number, ms?: number): Promise<ReturnType<OpenStream['events']>>;
  /** Resolves when the server has ended the answer. */
  ended: Promise<void>;
  /** Cuts the connection, as a client going away. */
  close(): void;
}

/**
 * GET `path` on `baseUrl` as an SSE client would, reading the answer as it arrives; the raw
 * node:http client, so the test sees exactly the bytes the service writes.
 */
export function openStream(
  baseUrl: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<OpenStream & { body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing: ClientRequest = request(
      new URL(path, baseUrl),
      { headers: { Accept: 'text/event-stream', ...headers } },
      (response) => {
        const messages: StreamMessage[] = [];
        let pending = '';
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
          pending += chunk;
          const blocks = pending.split('\n\n');
          pending = blocks.pop()!;
          messages.push(...blocks.map(parseBlock));
        });
        const ended = new Promise<void>((done) => response.on('close', done));
        const stream: OpenStream & { body: string } = {
          status: response.statusCode!,
          headers: response.headers,
          messages,
          get body() {
            return body;
          },
          events: () => eventsOf(messages),
          waitForEvents: (count, ms = 10_000) =>
            waitFor(
              `${count} events on the stream`,
              () => {
                const events = eventsOf(messages);
                return events.length >= count && events;
              },
              { ms, every: 5 },
            ),
          ended,
          close: () => outgoing.destroy(),
        };
        resolve(stream);
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

function parseBlock(block: string): StreamMessage {
  const message: StreamMessage = { at: Date.now() };
  for (const line of block.split('\n')) {
    const colon = line.indexOf(':');
    if (colon === 0) message.comment = line.slice(1).trim();
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id' || field === 'event' || field === 'data') message[field] = value;
  }
  return message;
}

function eventsOf(messages: StreamMessage[]) {
  return messages
    .filter((message) => message.event !== undefined && message.event !== 'start')
    .map((message) => ({
      id: message.id!,
      event: message.event!,
      data: JSON.parse(message.data!) as Record<string, unknown>,
      at: message.at,
    }));
}
