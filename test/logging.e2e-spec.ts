import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { request } from 'node:http';
import { filesOn } from './support/files';
import { startReadyService, stopService } from './support/service-process';
import { traversableTempDir } from './support/test-database';
import { uniqueEmail } from './support/users';
import { waitFor } from './support/wait';

const SHUTTING_DOWN = 'This replica is shutting down; other replicas answer.';

type Service = Awaited<ReturnType<typeof startReadyService>>;
type LogLine = Record<string, unknown> & { level: number; msg: string; reqId?: string };

/** A request whose completion line the test expects: its id, as the X-Request-Id header said. */
interface Sent {
  reqId: string;
  method: string;
  route: string;
  statusCode: number;
}

async function send(
  service: Service,
  method: string,
  path: string,
  route: string,
  init: { headers?: Record<string, string>; body?: unknown } = {},
): Promise<Sent & { body: Record<string, string> }> {
  const response = await fetch(`${service.baseUrl}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const reqId = response.headers.get('x-request-id');
  if (!reqId) throw new Error(`${method} ${path}: no X-Request-Id`);
  const body = (await response.json()) as Record<string, string>;
  return { reqId, method, route, statusCode: response.status, body };
}

/** Every stdout line parsed; a line that is not JSON fails the test. */
function logLines(service: Service): LogLine[] {
  return service
    .stdout()
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as LogLine);
}

/** pino writes asynchronously to the pipe: waits until every request's completion line is there. */
function completionLines(service: Service, requests: Sent[]): Promise<LogLine[]> {
  const ids = new Set(requests.map(({ reqId }) => reqId));
  return waitFor(
    'completion lines in stdout',
    () => {
      const lines = logLines(service).filter(
        (line) => line.msg === 'request completed' && ids.has(line.reqId!),
      );
      return new Set(lines.map((line) => line.reqId)).size === ids.size && lines;
    },
    { ms: 5_000 },
  );
}

describe('structured logs of a service process', () => {
  let service: Service;
  beforeAll(async () => {
    service = await startReadyService(process.env.E2E_DATABASE_URL!, { LOG_LEVEL: 'info' });
  });
  afterAll(() => stopService(service));

  it('writes one JSON completion line a request, with its id, route template, status and duration, and no secrets', async () => {
    const password = `pw-${randomUUID()}`;
    const idempotencyKey = `raw-key-${randomUUID()}`;
    const email = uniqueEmail('logs');
    const signUp = await send(service, 'POST', '/api/users', '/api/users', {
      body: { email, name: 'Logged', password },
    });
    const signIn = await send(service, 'POST', '/api/auth/token', '/api/auth/token', {
      body: { email, password },
    });
    const token = signIn.body.accessToken;
    const order = await send(service, 'POST', '/api/orders', '/api/orders', {
      headers: { Authorization: `Bearer ${token}`, 'Idempotency-Key': idempotencyKey },
      body: { currency: 'EUR', items: [{ sku: 'LOG-1', quantity: 1, unitPrice: 100 }] },
    });
    const missingId = randomUUID();
    const notFound = await send(service, 'GET', `/api/orders/${missingId}?q=1`, '/api/orders/:id', {
      headers: { Authorization: `Bearer ${token}` },
    });
    const unmatched = await send(service, 'GET', `/nowhere/${missingId}`, 'unmatched');
    const requests = [signUp, signIn, order, notFound, unmatched];
    expect(requests.map(({ statusCode }) => statusCode)).toEqual([201, 200, 201, 404, 404]);

    const lines = await completionLines(service, requests);
    for (const { reqId, method, route, statusCode } of requests) {
      const own = lines.filter((line) => line.reqId === reqId);
      expect(own).toEqual([
        expect.objectContaining({ level: 30, method, route, statusCode, service: 'order-service' }),
      ]);
      expect(own[0].responseTime).toEqual(expect.any(Number));
      expect(own[0].responseTime).toBeGreaterThanOrEqual(0);
    }
    const stdout = service.stdout();
    expect(stdout).not.toContain('incoming request'); // the completion line is the only one
    expect(stdout).not.toContain(missingId); // route templates, never raw URLs
    for (const secret of [password, token, idempotencyKey, 'Bearer ']) {
      expect(stdout).not.toContain(secret);
    }
  });

  it("writes Nest's own start-up lines through the same pino logger", () => {
    expect(logLines(service)).toContainEqual(
      expect.objectContaining({
        level: 30,
        service: 'order-service',
        context: 'NestApplication',
        msg: 'Nest application successfully started',
      }),
    );
  });

  it('drains on SIGTERM: readiness 503 with Connection: close for SHUTDOWN_DELAY, each logged without a stack, then exit 0', async () => {
    const draining = await startReadyService(process.env.E2E_DATABASE_URL!, {
      SHUTDOWN_DELAY: '2s',
    });
    const outputClosed = once(draining.child, 'close');
    draining.child.kill('SIGTERM');
    const ready = () => fetch(`${draining.baseUrl}/health/ready`);
    const refused = await waitFor('readiness 503', async () => {
      const answer = await ready();
      return answer.status === 503 && answer;
    });
    expect(refused.headers.get('connection')).toBe('close');
    expect(refused.headers.get('retry-after')).toBe('1');
    const problem = (await refused.json()) as Record<string, string>;
    expect(problem).toMatchObject({ code: 'service_unavailable', detail: SHUTTING_DOWN });
    expect((await ready()).status).toBe(503); // asked again, as a balancer does
    expect((await fetch(`${draining.baseUrl}/health/live`)).status).toBe(200); // still serving
    expect(await draining.exited).toBe(0);
    await outputClosed;
    const refusals = logLines(draining).filter((line) => line.msg === 'service_unavailable');
    expect(refusals.length).toBeGreaterThanOrEqual(2);
    for (const line of refusals) {
      expect(line).toMatchObject({ level: 40, detail: SHUTTING_DOWN });
      expect(line).not.toHaveProperty('err');
    }
  });

  it('writes no request lines at LOG_LEVEL=warn', async () => {
    const quiet = await startReadyService(process.env.E2E_DATABASE_URL!, { LOG_LEVEL: 'warn' });
    const outputClosed = once(quiet.child, 'close'); // its stdout has ended: every line is in
    try {
      await send(quiet, 'GET', '/health/live', '/health/live');
    } finally {
      await stopService(quiet);
    }
    await outputClosed;
    expect(logLines(quiet).filter((line) => line.level < 40)).toEqual([]);
  });
});

describe('the log of a request its client abandons', () => {
  const dataDir = traversableTempDir('order-service-aborted-upload-');
  const files = filesOn('filesystem', dataDir, () => {
    throw new Error('the filesystem driver reads no database');
  });
  let service: Service;
  beforeAll(async () => {
    service = await startReadyService(process.env.E2E_DATABASE_URL!, {
      ...files.env,
      LOG_LEVEL: 'info',
    });
  });
  afterAll(() => stopService(service));

  it('says at info that the client left mid-upload, and logs no 503 of the database', async () => {
    const email = uniqueEmail('aborts');
    const password = 'long enough';
    await send(service, 'POST', '/api/users', '/api/users', {
      body: { email, name: 'Aborts', password },
    });
    const signIn = await send(service, 'POST', '/api/auth/token', '/api/auth/token', {
      body: { email, password },
    });
    const boundary = 'aborted-boundary';
    const call = request(`${service.baseUrl}/api/files`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${signIn.body.accessToken}`,
        'Idempotency-Key': randomUUID(),
        'Content-Type': `multipart/form-data; boundary=${boundary}`,
        'Content-Length': 900_000,
      },
    });
    call.on('error', () => undefined); // the test's own abort
    call.write(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\n`,
    );
    call.write(Buffer.alloc(300_000, 'x')); // more than one storage chunk, then the client leaves
    await waitFor('the upload reaching storage', () => files.uploadStarted(0));
    call.destroy();

    const abandoned = await waitFor('the line of the abandoned upload', () =>
      logLines(service).find((line) => line.msg.startsWith('the connection closed before')),
    );
    expect(abandoned).toMatchObject({
      level: 30,
      reqId: expect.any(String),
      method: 'POST',
      route: '/api/files',
    });
    expect(abandoned).not.toHaveProperty('err');
    expect(logLines(service).filter((line) => line.level >= 40)).toEqual([]);
  });
});
