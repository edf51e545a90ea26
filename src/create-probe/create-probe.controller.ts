import { Controller, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { Throttle } from '@nestjs/throttler';
import { TakesNoBody } from '../http/bodyless';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../auth/caller';
import { ApiProblem, ApiProblems } from '../http/openapi.decorators';
import { CreateProbe } from './create-probe.service';
import { ProbeResponse } from './dto/probe.response';
import { PROBE_LIMIT, ProbeRateLimitGuard } from './probe-rate-limit.guard';

/** For uptime monitors: the real create path, rolled back, answered 201 with its timings. */
@ApiTags('health')
@Public()
@Controller('api/health')
export class CreateProbeController {
  constructor(private readonly probe: CreateProbe) {}

  @Post('create-test')
  @UseGuards(ProbeRateLimitGuard)
  @Throttle({ default: PROBE_LIMIT })
  @ApiOperation({ summary: 'Exercise the create path in a rolled-back transaction' })
  @TakesNoBody()
  @HttpCode(201)
  @ApiResponse({
    status: 201,
    type: ProbeResponse,
    description:
      'The create path works: validation, a user, an order created under a fresh Idempotency-Key (the key, the rows and the stored answer in one statement) and read back, all in one transaction that was rolled back.',
  })
  @ApiProblem(
    429,
    ['Retry-After'],
    `Run more than ${PROBE_LIMIT.limit} times in a second from this IP at this instance (\`rate_limited\`); retry after \`Retry-After\` seconds.`,
  )
  @ApiProblems(503)
  async createTest(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ProbeResponse> {
    void reply.header('Cache-Control', 'no-store');
    return this.probe.run(request.log);
  }
}
