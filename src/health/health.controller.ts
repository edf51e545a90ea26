import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/caller';
import { ApiProblems } from '../http/openapi.decorators';
import { SchemaStatus } from '../database/schema-status';
import { Transactions } from '../database/transactions';
import { JOB_SCHEMA_VERSION } from '../jobs/job-schema';
import { JobsRepository } from '../jobs/jobs.repository';
import { ServiceUnavailableError } from '../http/problem';
import { LiveResponse, ReadyResponse } from './dto/health.response';
import { Draining } from './draining';

const READY_TIMEOUT_MS = 2_000;
const SHUTTING_DOWN = 'This replica is shutting down; other replicas answer.';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly schema: SchemaStatus,
    private readonly jobs: JobsRepository,
    private readonly transactions: Transactions,
    private readonly draining: Draining,
  ) {}

  /** The process is up and serving HTTP. */
  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process is up' })
  @ApiResponse({ status: 200, type: LiveResponse, description: 'Up.' })
  live(): LiveResponse {
    return { status: 'ok' };
  }

  /**
   * The database answers and takes writes, every migration is applied and the job queue's schema
   * is at this build's version: safe to route traffic here. 503 from the moment the process is
   * told to stop.
   */
  @Get('ready')
  @ApiOperation({ summary: 'Readiness: database reachable and writable, migrations applied' })
  @ApiResponse({ status: 200, type: ReadyResponse, description: 'Ready.' })
  @ApiProblems(503)
  async ready(): Promise<ReadyResponse> {
    if (this.draining.active) throw new ServiceUnavailableError(1, SHUTTING_DOWN);
    const ready = await withTimeout(this.schemasApplied(), READY_TIMEOUT_MS).catch(() => false);
    if (!ready) throw new ServiceUnavailableError();
    return { status: 'ok', database: 'up', migrations: 'applied', jobSchema: 'applied' };
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
