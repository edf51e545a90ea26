import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

export const DEFAULT_EVENT_PAGE = 50;

export class ListEventsQuery {
  @ApiPropertyOptional({ default: DEFAULT_EVENT_PAGE, minimum: 1, maximum: 100, type: 'integer' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = DEFAULT_EVENT_PAGE;

  /** Opaque: a `nextCursor` (or a stream's event `id`); the page starts strictly after it. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  after?: string;
}
