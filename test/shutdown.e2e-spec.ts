import { randomUUID } from 'node:crypto';
import { connect, Socket } from 'node:net';
import { Client } from 'pg';
import { blockedServiceBackend, holdOrderReference } from './support/blocking';
import { startTestApp, TestApp } from './support/test-app';
import { createDatabaseOn, TestDatabase } from './support/test-database';
import { signUpAndIn } from './support/users';
import { waitFor } from './support/wait';

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The HTTP/1.1 answers a socket received until the server closed it, in order. */
function answersUntilClosed(socket: Socket): Promise<RawResponse[]> {
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (text += chunk));
  return new Promise((resolve, reject) => {
    socket.on('error', reject);
    socket.on('close', () => resolve(parseAnswers(text)));
  });
}

function parseAnswers(text: string): RawResponse[] {
  const answers: RawResponse[] = [];
  while (text.length > 0) {
    const end = text.indexOf('\r\n\r\n');
    const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
    const headers = Object.fromEntries(
      lines.map((line) => {
        const colon = line.indexOf(':');
        return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
      }),
    );
    const length = Number(headers['content-length']);
    answers.push({
      status: Number(statusLine.split(' ')[1]),
      headers,
      body: text.slice(end + 4, end + 4 + length),
    });
    text = text.slice(end + 4 + length);
  }
  return answers;
}

describe('a request that arrives while the server closes', () => {
  // A database of its own, since the test holds a row lock; the app is closed by the test.
  let database: TestDatabase;
  let app: TestApp;
  let closing: Promise<void> | undefined;
  let watcher: Client;
  beforeAll(async () => {
    database = await createDatabaseOn(process.env.E2E_DATABASE_URL!);
    app = await startTestApp({}, database.url);
    watcher = new Client({ connectionString: database.url });
    await watcher.connect();
  });
  afterAll(async () => {
    await (closing ?? app.close());
    await watcher.end();
    await database.stop();
  });

  it('is answered 503 problem+json with Retry-After, and the request in flight still ends 201', async () => {
    const ann = await signUpAndIn(app, 'Ann');
    const reference = `closing-${randomUUID()}`;
    const hold = await holdOrderReference(database.url, ann.id, reference);
    const { port } = new URL(app.baseUrl);
    const socket = connect(Number(port), '127.0.0.1');
    const answers = answersUntilClosed(socket);
    const order = JSON.stringify({
      currency: 'EUR',
      items: [{ sku: 'CLOSING-1', quantity: 1, unitPrice: 100 }],
      clientReference: reference,
    });
    socket.write(
      `POST /api/orders HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${ann.token}\r\n` +
        `Idempotency-Key: ${randomUUID()}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(order)}\r\n\r\n${order}`,
    );
    try {
      await blockedServiceBackend(watcher);
      closing = app.close();
      await waitFor('the server to stop listening', () => !app.nest.getHttpServer().listening);
      socket.write('GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n'); // pipelined behind it
      await hold.release();
      const [created, refused] = await answers;
      await closing;
      expect(created.status).toBe(201);
      expect(refused.status).toBe(503);
      expect(refused.headers).toMatchObject({
        'content-type': 'application/problem+json; charset=utf-8',
        'retry-after': '1',
        connection: 'close',
      });
      expect(refused.headers['x-request-id']).toBeTruthy();
      expect(JSON.parse(refused.body)).toMatchObject({ status: 503, code: 'service_unavailable' });
    } finally {
      await hold.release();
      socket.destroy();
    }
  });
});
