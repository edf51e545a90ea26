import { ApiProperty } from '@nestjs/swagger';

export class LiveResponse {
  @ApiProperty({ enum: ['ok'] })
  status: 'ok';
}

export class ReadyResponse {
  @ApiProperty({ enum: ['ok'] })
  status: 'ok';
  @ApiProperty({ enum: ['up'] })
  database: 'up';
  @ApiProperty({ enum: ['applied'] })
  migrations: 'applied';
  /** graphile-worker's schema, which every create that adds a job writes to. */
  @ApiProperty({ enum: ['applied'] })
  jobSchema: 'applied';
}
