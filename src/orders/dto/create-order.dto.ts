import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsISO4217CurrencyCode,
  IsObject,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { CurrencyCodes } from 'validator/lib/isISO4217';
import { SchemaStatesAllRules } from '../../http/compiled-bodies';
import { BIDI_CONTROLS } from '../../http/text-rules';
import { IsOmittable } from '../../http/validation';
import { OptionalClientReference, VISIBLE_ASCII } from './client-reference';

export const MAX_ITEMS = 100;
export const MAX_QUANTITY = 10_000;
/** 10^9 minor units per unit: the largest order (100 × 10,000 × 10^9 = 10^15) stays an exact JS number. */
export const MAX_UNIT_PRICE = 1_000_000_000;
/** The codes IsISO4217CurrencyCode accepts, upper case (the pattern refuses lower case). */
const ISO_4217_CODES = [...CurrencyCodes].sort();

// A property's rules are checked bottom-up and the first it breaks is the answer (validation.ts):
// the most basic is written nearest the property, whether it may be left out, then its type, then
// its size, range, pattern or set. ValidateNested runs after them all, and only if they pass.

@SchemaStatesAllRules()
export class OrderItemDto {
  @ApiProperty({ minLength: 1, maxLength: 64, pattern: VISIBLE_ASCII.source, example: 'SKU-1042' })
  @Matches(VISIBLE_ASCII, { message: 'sku must be visible ASCII characters without spaces' })
  @Length(1, 64)
  @IsString()
  sku: string;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: MAX_QUANTITY, example: 2 })
  @Max(MAX_QUANTITY)
  @Min(1)
  @IsInt()
  quantity: number;

  /** Minor units (cents) of the order's currency. */
  @ApiProperty({ type: 'integer', minimum: 0, maximum: MAX_UNIT_PRICE, example: 1999 })
  @Max(MAX_UNIT_PRICE)
  @Min(0)
  @IsInt()
  unitPrice: number;
}

/**
 * Free text a page shows, on several lines if need be: tabs and line breaks, but no other control
 * character (NUL, which PostgreSQL text cannot hold, escapes, C1 controls) and no bidirectional
 * override.
 */
const NOTE_TEXT = new RegExp(
  `^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f${BIDI_CONTROLS}]*$`,
  'u',
);

@SchemaStatesAllRules()
export class CreateOrderDto {
  /** ISO 4217, upper case. */
  @ApiProperty({ enum: ISO_4217_CODES, example: 'EUR' })
  @IsISO4217CurrencyCode({ message: 'currency must be an ISO 4217 currency code' })
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be three upper-case letters' })
  @IsString()
  currency: string;

  @ApiProperty({ type: () => [OrderItemDto], minItems: 1, maxItems: MAX_ITEMS })
  @Type(() => OrderItemDto)
  // ValidateNested alone takes an array for an item and checks its elements instead, so `[[]]`
  // would reach the pricing with no item's fields at all.
  @ValidateNested({ each: true })
  @IsObject({ each: true, message: 'each value in items must be an object' })
  @ArrayMaxSize(MAX_ITEMS)
  @ArrayMinSize(1)
  @IsArray()
  items: OrderItemDto[];

  /** Unique among the caller's orders; left out, not null, when there is none. */
  @OptionalClientReference()
  clientReference?: string;

  /** Left out, not null, when there is none. */
  @ApiPropertyOptional({ pattern: NOTE_TEXT.source })
  @Matches(NOTE_TEXT, {
    message:
      'note must not contain control characters other than tabs and line breaks, nor bidirectional-override characters',
  })
  @MaxLength(1000)
  @IsString()
  @IsOmittable()
  note?: string;
}
