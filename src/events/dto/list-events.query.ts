import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

export const DEFAULT_EVENT_PAGE = 50;

/**
 * GET /api/events/stream's query (Last-Event-ID, when sent, wins over `after`). Each property's
 * rules are checked bottom-up, the most basic first (see create-order.dto.ts).
 */
export class StreamEventsQuery {
  /** Opaque: a `nextCursor` (or a stream's event `id`); events strictly after it. */
  @MaxLength(200)
  @IsString()
  @IsOptional()
  after?: string;
}

export class ListEventsQuery extends StreamEventsQuery {
  @ApiPropertyOptional({ default: DEFAULT_EVENT_PAGE, minimum: 1, maximum: 100, type: 'integer' })
  @Type(() => Number)
  @Max(100)
  @Min(1)
  @IsInt()
  @IsOptional()
  limit: number = DEFAULT_EVENT_PAGE;
}
