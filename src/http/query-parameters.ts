import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

/** The most items a page of any list holds. */
export const MAX_PAGE_SIZE = 100;

/**
 * A query value spelled as a decimal integer, as a number (`-1` too, for Min to refuse by its
 * bound); anything else as it came, for IsInt to refuse. `Number()` alone would also read `0x10`,
 * `1e1`, ` 5` and the empty string as numbers.
 */
const DECIMAL = /^-?[0-9]+$/;
const decimalInteger = ({ value }: { value: unknown }) =>
  typeof value === 'string' && DECIMAL.test(value) ? Number(value) : value;

/**
 * A query parameter that is an integer from `minimum` to `maximum`, `default` when absent (the
 * property's initialiser gives it). applyDecorators applies these in the order written, so the
 * most basic rule is checked first, as on a property whose decorators are stacked bottom-up.
 */
export const QueryInteger = (bounds: { default: number; minimum: number; maximum: number }) =>
  applyDecorators(
    ApiPropertyOptional({ ...bounds, type: 'integer' }),
    Transform(decimalInteger),
    IsOptional(),
    IsInt(),
    Min(bounds.minimum),
    Max(bounds.maximum),
  );

const MAX_OPAQUE_LENGTH = 200;

/**
 * An optional query parameter the service made and reads back whole (a cursor, a link): any
 * string up to 200 characters here, its own reader refusing what it did not make.
 */
export const OpaqueQueryText = () =>
  applyDecorators(
    ApiPropertyOptional({ type: 'string', maxLength: MAX_OPAQUE_LENGTH }),
    IsOptional(),
    IsString(),
    MaxLength(MAX_OPAQUE_LENGTH),
  );

/** A list's `limit` query parameter: an integer from 1 to MAX_PAGE_SIZE, `defaultSize` when absent. */
export const PageLimit = (defaultSize: number) =>
  QueryInteger({ default: defaultSize, minimum: 1, maximum: MAX_PAGE_SIZE });
