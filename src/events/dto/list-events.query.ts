import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

export const DEFAULT_EVENT_PAGE = 50;

/** GET /api/events/stream's query (Last-Event-ID, when sent, wins over `after`). */
export class StreamEventsQuery {
  /** Opaque: a `nextCursor` (or a stream's event `id`); events strictly after it. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  after?: string;
}

export class ListEventsQuery extends StreamEventsQuery {
  @ApiPropertyOptional({ default: DEFAULT_EVENT_PAGE, minimum: 1, maximum: 100, type: 'integer' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = DEFAULT_EVENT_PAGE;
}
