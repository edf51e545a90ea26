import { Injectable } from '@nestjs/common';
import type { FastifyBaseLogger } from 'fastify';
import type { Caller } from '../auth/caller';
import type { IdempotentRequest } from '../idempotency/idempotent-request';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { Transactions } from '../database/transactions';
import { newId } from '../database/uuid';
import { CreateOrderDto } from '../orders/dto/create-order.dto';
import { OrdersService } from '../orders/orders.service';
import { UsersService } from '../users/users.service';
import { ProbeResponse } from './dto/probe.response';

const SAMPLE_ORDER = {
  currency: 'EUR',
  items: [{ sku: 'PROBE-1', quantity: 2, unitPrice: 150 }],
  note: 'synthetic probe',
};

/** Thrown at the end of the probe's transaction so that everything it wrote is rolled back. */
class ProbeDone extends Error {
  constructor(readonly result: ProbeResponse) {
    super('probe finished');
  }
}

/**
 * The real create path, end to end, inside one transaction that is always rolled back: request
 * validation, a user, the order's create statement under a fresh key (the key's claim, the rows
 * and the stored answer), and the order read back as GET reads it.
 */
@Injectable()
export class CreateProbe {
  constructor(
    private readonly transactions: Transactions,
    private readonly users: UsersService,
    private readonly orders: OrdersService,
  ) {}

  async run(log: FastifyBaseLogger): Promise<ProbeResponse> {
    const clock = new Stopwatch();
    const input = plainToInstance(CreateOrderDto, SAMPLE_ORDER);
    if ((await validate(input, { whitelist: true, forbidNonWhitelisted: true })).length > 0)
      throw new Error('probe order invalid');
    const validation = clock.lap();
    try {
      await this.transactions.run(async (tx) => {
        const user = await this.users.insert(tx, syntheticUser());
        const userMs = clock.lap();
        const caller = { userId: user.id };
        const created = await this.orders.create(caller, input, probeKey(caller, log), tx);
        const idempotencyKey = clock.lap();
        await this.orders.get(caller, JSON.parse(created.outcome.body).id as string, tx);
        const order = clock.lap();
        const total = clock.total();
        throw new ProbeDone({
          status: 'ok',
          rolledBack: true,
          timingsMs: { validation, user: userMs, idempotencyKey, order, total },
        });
      });
    } catch (error) {
      if (error instanceof ProbeDone) return error.result;
      throw error;
    }
    throw new Error('the probe transaction committed'); // unreachable: the work always throws
  }
}

const PROBE_ROUTE = '/api/health/create-test';

function probeKey(caller: Caller, log: FastifyBaseLogger): IdempotentRequest {
  return {
    scope: { caller: caller.userId, method: 'POST', route: PROBE_ROUTE, key: newId() },
    request: { method: 'POST', path: PROBE_ROUTE, body: SAMPLE_ORDER },
    log,
    rolledBack: true,
  };
}

function syntheticUser() {
  const id = newId();
  const now = new Date();
  const email = `probe-${id}@probe.invalid`;
  return {
    id,
    email,
    emailNormalized: email,
    name: 'Synthetic probe',
    passwordHash: '!',
    createdAt: now,
    updatedAt: now,
  };
}

/** Milliseconds, to a tenth, since the last lap and since the start. */
class Stopwatch {
  private readonly started = performance.now();
  private last = this.started;

  lap(): number {
    const now = performance.now();
    const ms = now - this.last;
    this.last = now;
    return Math.round(ms * 10) / 10;
  }

  total(): number {
    return Math.round((performance.now() - this.started) * 10) / 10;
  }
}
