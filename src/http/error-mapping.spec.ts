import { HttpException, NotFoundException } from '@nestjs/common';
import { RoutesResolver } from '@nestjs/core/router/routes-resolver';
import { errorCodes } from 'fastify';
import { QUERY_READ_TIMEOUT } from '../database/service-pool';
import { toDomainError } from './error-mapping';
import { DomainError } from './problem';

/**
 * What Nest's error handler hands on to the filters for an error Fastify raised. Nest's own code,
 * not a copy: if it changes how it hands them on, these tests say so.
 */
const asNestHandsOn = (error: Error): unknown =>
  RoutesResolver.prototype.mapExternalException.call(RoutesResolver.prototype, error);

describe('toDomainError', () => {
  it('keeps domain errors as they are', () => {
    const error = new DomainError(409, 'email_taken', 'Email taken', 'taken');
    expect(toDomainError(error)).toBe(error);
  });

  it.each([
    [
      'a refused connection',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    ],
    [
      'an admin shutdown',
      { message: 'terminating connection due to administrator command', code: '57P01' },
    ],
    ['a terminated connection', new Error('Connection terminated unexpectedly')],
    ['a pool timeout', new Error('timeout exceeded when trying to connect')],
    ['a server gone silent (ServicePool)', new Error(QUERY_READ_TIMEOUT)],
    [
      'a query runner whose connection died',
      new Error(
        'Database connection provided by a query runner was already released, cannot continue',
      ),
    ],
    ['a TypeORM-wrapped driver error', { message: 'query failed', driverError: { code: '08006' } }],
    [
      'a database that takes no connections',
      { message: 'database "orders" is not currently accepting connections', code: '55000' },
    ],
    [
      'a read-only database',
      { message: 'cannot execute INSERT in a read-only transaction', code: '25006' },
    ],
  ])('maps %s to 503 with Retry-After', (_case, error) => {
    const mapped = toDomainError(error);
    expect(mapped?.status).toBe(503);
    expect(mapped?.headers['Retry-After']).toBe('2');
  });

  it('maps framework HTTP errors to problems with stable codes', () => {
    expect(toDomainError(new NotFoundException('No such thing'))?.toProblem()).toMatchObject({
      status: 404,
      code: 'not_found',
    });
  });

  // Statements in a transaction fail with TypeORM's wrapper; single statements with pg's own error.
  const wrappedAndBare = (driverError: object): [string, object][] => [
    ['wrapped by TypeORM', { message: 'query failed', driverError }],
    ['from pg itself', { message: 'query failed', ...driverError }],
  ];

  it.each(wrappedAndBare({ code: '22021' }))(
    'maps text PostgreSQL cannot store (NUL), %s, to 400 validation_failed',
    (_form, error) => {
      expect(toDomainError(error)?.toProblem()).toMatchObject({
        status: 400,
        code: 'validation_failed',
      });
    },
  );

  it.each(wrappedAndBare({ code: '23503', constraint: 'orders_user_id_fkey' }))(
    "maps a write for a token's user that no longer exists, %s, to 401",
    (_form, error) => {
      expect(toDomainError(error)?.toProblem()).toMatchObject({
        status: 401,
        code: 'unauthorized',
      });
    },
  );

  it("names the JSON body limit in a 413, as Nest hands on Fastify's error", () => {
    const problem = toDomainError(asNestHandsOn(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE()));
    expect(problem?.toProblem()).toMatchObject({
      status: 413,
      code: 'payload_too_large',
      detail: 'JSON bodies may be at most 262144 bytes (256 KiB).',
    });
  });

  it('keeps the message of an HttpException of its own', () => {
    const problem = toDomainError(new HttpException('Too big for this', 413));
    expect(problem?.toProblem()).toMatchObject({ status: 413, detail: 'Too big for this' });
  });

  it('leaves programming errors unmapped, so they become a logged, opaque 500', () => {
    expect(toDomainError(new TypeError('x is undefined'))).toBeNull();
    expect(toDomainError({ code: '23502', message: 'null value in column' })).toBeNull();
  });
});
