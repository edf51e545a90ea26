import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { corsHeaders } from './cors';
import { PROBLEM_CONTENT_TYPE, problemType } from './problem';

type ClientProblem = [status: number, code: string, title: string, detail: string];

// Titles in the sentence case of every other problem, not Node's reason phrases.
const BY_NODE_CODE: Record<string, ClientProblem> = {
  ERR_HTTP_REQUEST_TIMEOUT: [
    408,
    'request_timeout',
    'Request timeout',
    'The request did not arrive whole within REQUEST_TIMEOUT.',
  ],
  HPE_HEADER_OVERFLOW: [
    431,
    'headers_too_large',
    'Headers too large',
    'The request headers are larger than the server accepts.',
  ],
};
const MALFORMED: ClientProblem = [
  400,
  'malformed_request',
  'Malformed request',
  'The request is not valid HTTP.',
];

/**
 * Node's error for a request it could not parse; `rawPacket`, the Buffer it was parsing then
 * (Fastify's type has its JSON form).
 */
type ClientError = Error & { code?: string; rawPacket?: unknown };

/**
 * Requests broken below HTTP (unparseable, headers too large, too slow) never reach Fastify's
 * routes; answer them with problem+json too, with the headers every answer carries (a new request
 * id: the request's own could not be read), then close the connection. A browser app at one of
 * `corsOrigins` can read the answer when the bytes Node was parsing hold its Origin header, as
 * they do when the headers arrived in one piece; else it sees a network error, as before.
 */
export function clientErrorHandler(corsOrigins: readonly string[]) {
  return (error: ClientError, socket: Socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed || !socket.writable) return;
    const [status, code, title, detail] = BY_NODE_CODE[error.code ?? ''] ?? MALFORMED;
    const body = JSON.stringify({ type: problemType(code), title, status, detail, code });
    const cors = corsHeaders(corsOrigins, originIn(error.rawPacket))
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${randomUUID()}\r\n${cors}` +
        `X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
    );
  };
}

/** The value of an Origin header line among `packet`'s header lines, if it holds one whole. */
function originIn(packet: unknown): string | undefined {
  if (!Buffer.isBuffer(packet)) return undefined;
  const head = packet.toString('latin1').split('\r\n\r\n', 1)[0];
  return /\r\norigin:[ \t]*([^\r\n]*?)[ \t]*\r\n/i.exec(`${head}\r\n`)?.[1];
}
