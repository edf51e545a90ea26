import { ApiProperty } from '@nestjs/swagger';

/** Milliseconds each step of the probe took. */
export class ProbeTimings {
  validation: number;
  user: number;
  /** The order's create statement: the key claimed, the rows and the stored answer. */
  idempotencyKey: number;
  /** The order read back as GET reads it. */
  order: number;
  total: number;
}

export class ProbeResponse {
  @ApiProperty({ enum: ['ok'] })
  status: 'ok';
  /** Always true: nothing the probe wrote is kept. */
  rolledBack: true;
  timingsMs: ProbeTimings;
}
