import { Controller, Get } from '@nestjs/common';
import { ApiResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/caller';
import { ApiProblems } from '../http/openapi.decorators';
import { SchemaStatus } from '../database/schema-status';
import { ServiceUnavailableError } from '../http/problem';
import { LiveResponse, ReadyResponse } from './dto/health.response';

const READY_TIMEOUT_MS = 2_000;

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly schema: SchemaStatus) {}

  /** The process is up and serving HTTP. */
  @Get('live')
  @ApiResponse({ status: 200, type: LiveResponse, description: 'Up.' })
  live(): LiveResponse {
    return { status: 'ok' };
  }

  /** The database answers and every migration is applied: safe to route traffic here. */
  @Get('ready')
  @ApiResponse({ status: 200, type: ReadyResponse, description: 'Ready.' })
  @ApiProblems(503)
  async ready(): Promise<ReadyResponse> {
    const pending = await withTimeout(this.schema.pendingMigrations(), READY_TIMEOUT_MS).catch(
      () => null,
    );
    if (pending === null || pending.length > 0) throw new ServiceUnavailableError();
    return { status: 'ok', database: 'up', migrations: 'applied' };
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
