import { Inject, Injectable } from '@nestjs/common';
import { Gauge, Histogram } from 'prom-client';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { Transactions } from '../database/transactions';
import { Metrics } from '../metrics/metrics';
import { Batches } from './create-batches';
import { IdempotencyRepository, KeyScope, StoredOutcome } from './idempotency.repository';
import { MAX_BATCH, statementBatchLimits } from './statement-batches';

/**
 * The reads of stored answers that the early replay makes (`CreateExecutor.lookUp`: an export's
 * every keyed create, an order's while retries are common), batched as order creates are: a lone
 * read runs at once, and the reads that arrive while one is going are made together in the next
 * statement. A retry storm at a replica that did not write the keys then costs both processes a
 * statement per batch rather than per retry. Up to CREATE_CONCURRENCY of them run at once, besides
 * the order statements' own.
 */
@Injectable()
export class BatchedLookups {
  private readonly batches: Batches<KeyScope, StoredOutcome | null>;

  constructor(
    store: IdempotencyRepository,
    transactions: Transactions,
    @Inject(APP_CONFIG) config: AppConfig,
    metrics: Metrics,
  ) {
    const sizes = new Histogram({
      name: 'idempotency_lookup_batch_size',
      help: 'Reads of stored answers before the pipeline (early replays), by the keyed requests each carried.',
      buckets: [1, 2, 5, 10, 20, MAX_BATCH],
      registers: [metrics.registry],
    });
    const batches = new Batches<KeyScope, StoredOutcome | null>(
      {
        one: (scope) => {
          sizes.observe(1);
          return store.find(transactions.autocommit, scope);
        },
        many: (scopes) => {
          sizes.observe(scopes.length);
          return store.findMany(transactions.autocommit, scopes);
        },
        isItemFailure: () => false, // a read fails whole, for none of its retries in particular
      },
      statementBatchLimits(config, 'idempotent retries'),
    );
    new Gauge({
      name: 'idempotency_lookups_waiting',
      help: 'Keyed requests waiting for a read of stored answers to finish, to be read in the next.',
      registers: [metrics.registry],
      collect() {
        this.set(batches.queued);
      },
    });
    this.batches = batches;
  }

  /** The live record stored under `scope`, or null. */
  find(scope: KeyScope): Promise<StoredOutcome | null> {
    return this.batches.run(scope);
  }
}
