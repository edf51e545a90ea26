import { applyDecorators, type Type } from '@nestjs/common';
import { ApiHeader, ApiProduces, ApiResponse } from '@nestjs/swagger';
import { ApiProblem, ApiProblems, ApiTokenOrLink } from '../http/openapi.decorators';
import { headers } from '../http/openapi.headers';
import { MAX_STREAMS, MAX_STREAMS_PER_USER } from './event-stream-hub';

const MESSAGE_FORMAT = [
  'Server-Sent Events (UTF-8). First, a message `event: start` with an `id:` and an empty',
  '`data:`: where the stream starts, which EventSource keeps as its Last-Event-ID (being named,',
  'it never reaches `onmessage`).',
  "Then one message per event of the caller, in the feed's order: `id:` the cursor (as `nextCursor`),",
  '`event:` the type (`order.created`, ...), `data:` the CloudEvent JSON on one line, exactly as',
  'the feed (GET /api/events) returns it. A comment line `: heartbeat` every 15 s; the stream',
  'ends at the first heartbeat after the access token (or the link) expires (reconnect with a',
  'fresh one).',
  'A reconnect with Last-Event-ID gets every event after it, then the live ones: no gap, no repeat',
  '(410 cursor_expired instead when the retention has deleted events of the caller after it, or',
  'the cursor is of an earlier form or another key: read the current state again).',
  'A client that cannot keep up (64 KiB waiting) is disconnected, to resume the same way.',
].join(' ');

/** GET /api/events/stream/link: 200 with the stream's URL, never cached. */
export function ApiEventStreamLink(type: Type<unknown>) {
  return applyDecorators(
    ApiResponse({
      status: 200,
      type,
      description:
        "The URL of the caller's stream with a `link` that opens it without a token, for `new EventSource(streamUrl)`, until the token this request came with expires; a new one on every request (`Cache-Control: no-store`).",
    }),
    ApiProblems(401),
  );
}

/** GET /api/events/stream: the stream's answer, its resume inputs and the problems before it. */
export function ApiEventStream() {
  return applyDecorators(
    ApiTokenOrLink('Vary'),
    ApiProduces('text/event-stream'),
    ApiHeader({
      name: 'Last-Event-ID',
      required: false,
      description:
        'Resume strictly after this cursor (an event `id:` of a stream, or a `nextCursor`); wins over `after`.',
    }),
    ApiResponse({
      status: 200,
      description:
        "The stream: it ends when the client closes it, at the server's shutdown, when the access token expires, or when the retention deletes events it has not sent yet (its reconnect is then 410).",
      headers: {
        ...headers('Vary'),
        'Cache-Control': { description: '`no-cache`.', schema: { type: 'string' } },
        'X-Accel-Buffering': {
          description: '`no`: proxies pass each message on at once.',
          schema: { type: 'string' },
        },
      },
      content: {
        'text/event-stream': { schema: { type: 'string', description: MESSAGE_FORMAT } },
      },
    }),
    ApiProblem(
      429,
      ['Retry-After', 'Vary'],
      `The caller has ${MAX_STREAMS_PER_USER} streams open at this instance already (\`too_many_streams\`): close one, or share one between tabs.`,
    ),
    ApiProblem(
      503,
      ['Retry-After', 'Vary'],
      `The database is unavailable, this instance is shutting down, or it holds ${MAX_STREAMS} streams already (\`service_unavailable\`); retry after \`Retry-After\` seconds.`,
    ),
    // Every answer of the route itself varies, its 401 (above) and 403 too: it is public on arrival.
    ...[400, 406, 410].map((status) => ApiProblem(status, ['Vary'])),
    ApiProblem(
      403,
      ['Vary'],
      'The `link` does not open the stream: `link_invalid` (altered, made for something else, or made before JWT_SECRET changed) or `link_expired`.',
    ),
  );
}
