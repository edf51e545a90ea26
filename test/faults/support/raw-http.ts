import { connect } from 'node:net';
import {
  type Exchange,
  isJsonMediaType,
  mediaTypeOf,
  requestBodyOf,
} from '../../support/conformance/exchange';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends exactly these bytes (duplicated headers, invalid UTF-8, whatever a hostile client sends)
 * and reads the answer until the server closes the connection.
 */
export function rawRequest(port: number, request: Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    // write, not end: a half-closed request is dropped by Node before an async answer is ready
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    socket.setTimeout(30_000, () => socket.destroy(new Error('no answer within 30 s')));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      try {
        resolve(parse(Buffer.concat(chunks)));
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
}

function parse(raw: Buffer): RawResponse {
  const split = raw.indexOf('\r\n\r\n');
  if (split < 0)
    throw new Error(`no HTTP answer: ${JSON.stringify(raw.toString('latin1').slice(0, 200))}`);
  const [statusLine, ...lines] = raw.subarray(0, split).toString('latin1').split('\r\n');
  const headers = Object.fromEntries(
    lines.map((line) => [
      line.slice(0, line.indexOf(':')).toLowerCase(),
      line.slice(line.indexOf(':') + 1).trim(),
    ]),
  );
  let body = raw.subarray(split + 4);
  if (headers['transfer-encoding'] === 'chunked') body = unchunk(body);
  return { status: Number(statusLine.split(' ')[1]), headers, body: body.toString('utf8') };
}

function unchunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let offset = 0; offset < body.length;) {
    const lineEnd = body.indexOf('\r\n', offset);
    const size = parseInt(body.subarray(offset, lineEnd).toString('latin1'), 16);
    if (!size) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/**
 * A raw request and its answer as an exchange for the OpenAPI judge: repeated header fields are
 * joined with ", " as Node joins them for the service.
 */
export function rawExchange(request: Buffer, response: RawResponse): Exchange {
  const split = request.indexOf('\r\n\r\n');
  const [requestLine, ...lines] = request.subarray(0, split).toString('latin1').split('\r\n');
  const [method, target] = requestLine.split(' ');
  const requestHeaders: Record<string, string> = {};
  for (const line of lines) {
    const name = line.slice(0, line.indexOf(':')).toLowerCase();
    const value = line.slice(line.indexOf(':') + 1).trim();
    requestHeaders[name] = name in requestHeaders ? `${requestHeaders[name]}, ${value}` : value;
  }
  const body = request.subarray(split + 4);
  const json = isJsonMediaType(mediaTypeOf(response.headers['content-type']));
  return {
    method,
    url: new URL(target, 'http://127.0.0.1'),
    requestHeaders,
    requestBody: requestBodyOf(requestHeaders['content-type'], body.length > 0 ? body : undefined),
    status: response.status,
    responseHeaders: response.headers,
    responseJson: json && response.body ? JSON.parse(response.body) : undefined,
    responseHasBody: response.body.length > 0,
  };
}
