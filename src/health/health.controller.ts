import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/caller';
import { ApiProblems } from '../http/openapi.decorators';
import { ServiceUnavailableError } from '../http/problem';
import { LiveResponse, ReadyResponse } from './dto/health.response';
import { Draining } from './draining';
import { ReadinessService } from './readiness.service';

const SHUTTING_DOWN = 'This replica is shutting down; other replicas answer.';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly readiness: ReadinessService,
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
    if (!(await this.readiness.ready())) throw new ServiceUnavailableError();
    return { status: 'ok', database: 'up', migrations: 'applied', jobSchema: 'applied' };
  }
}
