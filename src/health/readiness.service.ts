import { Injectable } from '@nestjs/common';
import { SchemaStatus } from '../database/schema-status';
import { Transactions } from '../database/transactions';
import { JOB_SCHEMA_VERSION } from '../jobs/job-schema';
import { JobsRepository } from '../jobs/jobs.repository';

/** A readiness check that takes longer than this counts as not ready. */
const READY_TIMEOUT_MS = 2_000;

/** Whether this process can take traffic, as far as the database is concerned. */
@Injectable()
export class ReadinessService {
  constructor(
    private readonly schema: SchemaStatus,
    private readonly jobs: JobsRepository,
    private readonly transactions: Transactions,
  ) {}

  /**
   * The database answers within READY_TIMEOUT_MS and takes writes, every migration is applied, and
   * the job queue's schema is at this build's version.
   */
  ready(): Promise<boolean> {
    return withTimeout(this.schemasApplied(), READY_TIMEOUT_MS).catch(() => false);
  }

  private async schemasApplied(): Promise<boolean> {
    const [pending, jobSchema, writable] = await Promise.all([
      this.schema.pendingMigrations(),
      this.jobs.schemaVersion(this.transactions.autocommit),
      this.schema.acceptsWrites(),
    ]);
    return writable && pending.length === 0 && (jobSchema ?? 0) >= JOB_SCHEMA_VERSION;
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
