import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { isRowFailure } from '../database/database-errors';
import { Statement, Values } from '../database/statement';
import { Transactions, Tx } from '../database/transactions';
import { Metrics } from '../metrics/metrics';
import { Batches } from './create-batches';
import { CreateStatement } from './create-statement';
import { ClaimResult, IdempotencyRepository, KeyScope } from './idempotency.repository';
import { MAX_BATCH, statementBatchLimits } from './statement-batches';

/** The claim's own values, as the executor binds them to a keyed statement. */
export interface ClaimValues {
  lockId: string;
  fingerprint: Buffer;
  responseStatus: number;
  responseHeaders: Record<string, string>;
  responseBody: string;
  ttlMs: number;
}

/** One keyed create, ready for its statement alone (`values`) or in a batch (the rest). */
export interface ClaimItem {
  values: Values;
  scope: KeyScope;
  claim: ClaimValues;
  /** The feature's columns for its statement's batched form (`CreateStatement.many`). */
  row?: object;
}

/**
 * Keyed creates' statements, batched for the creates whose statement has a batched form: a
 * process runs at most CREATE_CONCURRENCY of them at once per kind of create, and the creates
 * that arrive meanwhile are written together in the next (see Batches).
 */
@Injectable()
export class BatchedClaims {
  private readonly batches = new Map<Statement, Batches<ClaimItem, ClaimResult>>();
  private readonly sizes: Histogram;
  private readonly failures: Counter;

  constructor(
    private readonly store: IdempotencyRepository,
    private readonly transactions: Transactions,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    metrics: Metrics,
  ) {
    const batches = this.batches;
    this.sizes = new Histogram({
      name: 'idempotency_create_batch_size',
      help: 'Statements run for the creates that are batched (orders), by the creates each carried.',
      buckets: [1, 2, 5, 10, 20, MAX_BATCH],
      registers: [metrics.registry],
    });
    this.failures = new Counter({
      name: 'idempotency_create_batches_failed_total',
      help: 'Statements of several creates that failed as a whole, their creates then run one by one.',
      registers: [metrics.registry],
    });
    new Gauge({
      name: 'idempotency_creates_waiting',
      help: 'Keyed creates waiting for a statement of their kind to finish, to go in the next.',
      registers: [metrics.registry],
      collect() {
        this.set([...batches.values()].reduce((sum, queue) => sum + queue.queued, 0));
      },
    });
  }

  /**
   * The create's statement on `tx`: in a batch when it has a batched form and runs outside a
   * transaction (`tx.pool`: not in a caller's transaction), else alone.
   */
  claim(tx: Tx, statement: CreateStatement, item: ClaimItem): Promise<ClaimResult> {
    if (!statement.many || !item.row || !tx.pool)
      return this.store.claim(tx, statement.keyed, item.values);
    return this.batchesOf(statement.keyed, statement.many).run(item);
  }

  private batchesOf(keyed: Statement, many: Statement): Batches<ClaimItem, ClaimResult> {
    let batches = this.batches.get(many);
    if (!batches) {
      batches = new Batches<ClaimItem, ClaimResult>(
        {
          one: (item) => {
            this.sizes.observe(1);
            return this.store.claim(this.transactions.autocommit, keyed, item.values);
          },
          many: (items) => {
            this.sizes.observe(items.length);
            return this.store.claimMany(this.transactions.autocommit, many, this.manyValues(items));
          },
          isItemFailure: (error) => {
            const itemFailure = isRowFailure(error);
            if (itemFailure) this.failures.inc();
            return itemFailure;
          },
        },
        statementBatchLimits(this.config, 'order creates'),
      );
      this.batches.set(many, batches);
    }
    return batches;
  }

  private manyValues(items: readonly ClaimItem[]) {
    return {
      claims: JSON.stringify(items.map(claimRow)),
      rows: JSON.stringify(items.map((item) => item.row!)),
      ttlMs: this.config.idempotencyTtlMs,
    };
  }
}

/** The claim's columns in a batched statement (`CLAIM_COLUMNS` in create-statement.ts). */
function claimRow({ scope, claim }: ClaimItem) {
  return {
    caller: scope.caller,
    method: scope.method,
    route: scope.route,
    key: scope.key,
    lock_id: claim.lockId,
    fingerprint: claim.fingerprint.toString('hex'),
    response_status: claim.responseStatus,
    response_headers: claim.responseHeaders,
    response_body: claim.responseBody,
  };
}
