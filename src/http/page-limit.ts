import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** The most items a page of any list holds. */
export const MAX_PAGE_SIZE = 100;

/**
 * A list's `limit` query parameter: an integer from 1 to MAX_PAGE_SIZE, `defaultSize` when absent
 * (the property's initialiser gives it). applyDecorators applies these in the order written, so
 * the most basic rule is checked first, as on a property whose decorators are stacked bottom-up.
 */
export const PageLimit = (defaultSize: number) =>
  applyDecorators(
    ApiPropertyOptional({
      default: defaultSize,
      minimum: 1,
      maximum: MAX_PAGE_SIZE,
      type: 'integer',
    }),
    Type(() => Number),
    IsOptional(),
    IsInt(),
    Min(1),
    Max(MAX_PAGE_SIZE),
  );
