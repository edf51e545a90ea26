import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

/**
 * A unit of work bound to one pooled connection. Services pass it to repositories without
 * looking inside; only repositories use `manager`.
 */
export interface Tx {
  readonly manager: EntityManager;
}

/** The one place transactions are opened. */
@Injectable()
export class Transactions {
  constructor(private readonly dataSource: DataSource) {}

  /** Runs `work` in a READ COMMITTED transaction: committed when it resolves, rolled back when it throws. */
  run<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.dataSource.transaction((manager) => work({ manager }));
  }

  /** Statements outside any transaction (single-statement reads and writes). */
  get autocommit(): Tx {
    return { manager: this.dataSource.manager };
  }
}
