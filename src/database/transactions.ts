import { Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import { poolOf, throughPooler } from './data-source';

/**
 * A unit of work bound to one pooled connection. Services pass it to repositories without
 * looking inside; only repositories use it, through `run` (src/database/statement.ts).
 */
export interface Tx {
  readonly manager: EntityManager;
  /**
   * Outside a transaction only: node-postgres's pool itself, for single statements on hot paths.
   * TypeORM's `query` builds a query runner per statement, a cost every request would pay.
   */
  readonly pool?: Pool;
  /**
   * Statements go unnamed (parsed and planned each time): a transaction pooler does not keep a
   * prepared statement with the connection that prepared it.
   */
  readonly unprepared?: boolean;
}

/** The one place transactions are opened. */
@Injectable()
export class Transactions {
  private readonly unprepared: boolean;

  constructor(private readonly dataSource: DataSource) {
    this.unprepared = throughPooler(dataSource);
  }

  /** Runs `work` in a READ COMMITTED transaction: committed when it resolves, rolled back when it throws. */
  run<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.dataSource.transaction((manager) => work({ manager, unprepared: this.unprepared }));
  }

  /** Statements outside any transaction (single-statement reads and writes). */
  get autocommit(): Tx {
    return {
      manager: this.dataSource.manager,
      pool: poolOf(this.dataSource),
      unprepared: this.unprepared,
    };
  }
}
