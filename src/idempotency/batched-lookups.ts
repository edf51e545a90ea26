import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { Transactions } from '../database/transactions';
import { Metrics } from '../metrics/metrics';
import { Batches } from './create-batches';
import { IdempotencyRepository, KeyScope, StoredOutcome } from './idempotency.repository';
import { batchedReads } from './statement-batches';

/**
 * The reads of stored answers that the early replay makes (`CreateExecutor.lookUp`: an export's
 * every keyed create, an order's while retries are common), batched as order creates are: a lone
 * read runs at once, and the reads that arrive while one is going are made together in the next
 * statement. A retry storm at a replica that did not write the keys then costs both processes a
 * statement per batch rather than per retry.
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
    this.batches = batchedReads(
      {
        one: (scope) => store.find(transactions.autocommit, scope),
        many: (scopes) => store.findMany(transactions.autocommit, scopes),
      },
      config,
      'idempotent retries',
      {
        registry: metrics.registry,
        sizes: {
          name: 'idempotency_lookup_batch_size',
          help: 'Reads of stored answers before the pipeline (early replays), by the keyed requests each carried.',
        },
        waiting: {
          name: 'idempotency_lookups_waiting',
          help: 'Keyed requests waiting for a read of stored answers to finish, to be read in the next.',
        },
      },
    );
  }

  /** The live record stored under `scope`, or null. */
  find(scope: KeyScope): Promise<StoredOutcome | null> {
    return this.batches.run(scope);
  }
}
