import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsISO4217CurrencyCode,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

export const MAX_ITEMS = 100;
export const MAX_QUANTITY = 10_000;
/** 10^9 minor units per unit: the largest order (100 × 10,000 × 10^9 = 10^15) stays an exact JS number. */
export const MAX_UNIT_PRICE = 1_000_000_000;
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

export class OrderItemDto {
  @IsString()
  @Length(1, 64)
  @Matches(VISIBLE_ASCII, { message: 'sku must be visible ASCII characters without spaces' })
  sku: string;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: MAX_QUANTITY })
  @IsInt()
  @Min(1)
  @Max(MAX_QUANTITY)
  quantity: number;

  /** Minor units (cents) of the order's currency. */
  @ApiProperty({ type: 'integer', minimum: 0, maximum: MAX_UNIT_PRICE })
  @IsInt()
  @Min(0)
  @Max(MAX_UNIT_PRICE)
  unitPrice: number;
}

export class CreateOrderDto {
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be three upper-case letters' })
  @IsISO4217CurrencyCode({ message: 'currency must be an ISO 4217 currency code' })
  currency: string;

  @ApiProperty({ type: () => [OrderItemDto], minItems: 1, maxItems: MAX_ITEMS })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ITEMS)
  @ValidateNested({ each: true })
  @Type(() => OrderItemDto)
  items: OrderItemDto[];

  @IsOptional()
  @IsString()
  @Length(1, 128)
  @Matches(VISIBLE_ASCII, {
    message: 'clientReference must be visible ASCII characters without spaces',
  })
  clientReference?: string;

  @IsOptional()
  @IsString()
  @MaxLength(1000)
  // PostgreSQL text cannot hold NUL: refuse it here as bad input rather than fail in SQL.
  // eslint-disable-next-line no-control-regex
  @Matches(/^[^\u0000]*$/, { message: 'note must not contain NUL characters' })
  note?: string;
}
