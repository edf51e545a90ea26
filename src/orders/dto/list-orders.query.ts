import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

export const DEFAULT_PAGE_SIZE = 20;

/** Each property's rules are checked bottom-up, the most basic first (see create-order.dto.ts). */
export class ListOrdersQuery {
  @ApiPropertyOptional({ default: DEFAULT_PAGE_SIZE, minimum: 1, maximum: 100, type: 'integer' })
  @Type(() => Number)
  @Max(100)
  @Min(1)
  @IsInt()
  @IsOptional()
  limit: number = DEFAULT_PAGE_SIZE;

  /** Opaque: the `nextCursor` of the previous page. */
  @MaxLength(200)
  @IsString()
  @IsOptional()
  cursor?: string;
}
