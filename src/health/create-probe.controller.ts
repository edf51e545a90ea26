import { Controller, HttpCode, Post, Res } from '@nestjs/common';
import { ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/caller';
import { ApiProblems } from '../http/openapi.decorators';
import { CreateProbe } from './create-probe.service';
import { ProbeResponse } from './dto/health.response';

/** For uptime monitors: the real create path, rolled back, answered 201 with its timings. */
@ApiTags('health')
@Public()
@Controller('api/health')
export class CreateProbeController {
  constructor(private readonly probe: CreateProbe) {}

  @Post('create-test')
  @HttpCode(201)
  @ApiResponse({
    status: 201,
    type: ProbeResponse,
    description:
      'The create path works: validation, a user, the idempotency store and an order insert ran in one transaction that was rolled back.',
  })
  @ApiProblems(503)
  async createTest(@Res({ passthrough: true }) reply: FastifyReply): Promise<ProbeResponse> {
    void reply.header('Cache-Control', 'no-store');
    return this.probe.run();
  }
}
