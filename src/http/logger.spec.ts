import { FastifyReply, FastifyRequest } from 'fastify';
import { Writable } from 'node:stream';
import { createLogger, RequestLogController } from './logger';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { lines, logger: createLogger('info', destination) };
}

describe('createLogger', () => {
  it('redacts credentials, raw idempotency keys and SQL parameters wherever a log call puts them', () => {
    const { lines, logger } = capture();
    const failure = Object.assign(new Error('duplicate key'), {
      query: 'INSERT ...',
      parameters: ['raw-key-1', 'scrypt$hash'],
    });
    logger.info({
      req: {
        headers: { authorization: 'Bearer a.b.c', cookie: 'sid=1', 'idempotency-key': 'k-1' },
      },
      password: 'hunter22',
      user: { password: 'hunter23', accessToken: 'a.b.d' },
      accessToken: 'a.b.e',
      err: failure,
    });
    const text = JSON.stringify(lines);
    for (const secret of ['a.b.c', 'sid=1', 'k-1', 'hunter22', 'hunter23', 'a.b.d', 'a.b.e'])
      expect(text).not.toContain(secret);
    expect(text).not.toContain('raw-key-1');
    expect(lines[0]).toMatchObject({ password: '[redacted]', err: { query: 'INSERT ...' } });
  });
});

describe('RequestLogController', () => {
  const request = (url: string | undefined) =>
    ({ method: 'GET', routeOptions: { url } }) as unknown as FastifyRequest;
  const replyTo = (log: ReturnType<typeof createLogger>) =>
    ({ statusCode: 404, elapsedTime: 1.23456, log }) as unknown as FastifyReply;

  it('logs a completed request by its route template, status and duration in ms', () => {
    const { lines, logger } = capture();
    new RequestLogController().requestCompleted(null, request('/api/orders/:id'), replyTo(logger));
    new RequestLogController().requestCompleted(null, request(undefined), replyTo(logger));
    expect(lines).toEqual([
      expect.objectContaining({
        level: 30,
        msg: 'request completed',
        method: 'GET',
        route: '/api/orders/:id',
        statusCode: 404,
        responseTime: 1.235,
      }),
      expect.objectContaining({ route: 'unmatched' }),
    ]);
  });

  it('logs a response that failed on the socket as an error, with the error', () => {
    const { lines, logger } = capture();
    const broken = new Error('socket hang up');
    new RequestLogController().requestCompleted(broken, request('/health/live'), replyTo(logger));
    expect(lines).toEqual([
      expect.objectContaining({
        level: 50,
        msg: 'request errored',
        route: '/health/live',
        err: expect.objectContaining({ message: 'socket hang up' }),
      }),
    ]);
  });
});
