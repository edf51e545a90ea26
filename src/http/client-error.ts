import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { unparsedRequestCors } from './cors';
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
 * Requests broken below HTTP (unparseable, headers too large, too slow) never reach Fastify's
 * routes; answer them with problem+json too, with the headers every answer carries (a new request
 * id: the request's own could not be read) and CORS for any origin (`unparsedRequestCors`), then
 * close the connection.
 */
export function clientErrorHandler(corsOrigins: readonly string[]) {
  const cors = unparsedRequestCors(corsOrigins)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return (error: Error & { code?: string }, socket: Socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed || !socket.writable) return;
    const [status, code, title, detail] = BY_NODE_CODE[error.code ?? ''] ?? MALFORMED;
    const body = JSON.stringify({ type: problemType(code), title, status, detail, code });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${randomUUID()}\r\n${cors}` +
        `X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
    );
  };
}
