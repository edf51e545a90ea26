import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

export class OrderItemDto {
  @IsString()
  @Length(1, 64)
  sku: string;

  @IsInt()
  @Min(1)
  @Max(10_000)
  quantity: number;

  @IsInt()
  @Min(0)
  @Max(1_000_000_000)
  unitPrice: number;
}

export class CreateOrderDto {
  @Matches(/^[A-Z]{3}$/)
  currency: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => OrderItemDto)
  items: OrderItemDto[];

  @IsOptional()
  @IsString()
  @Length(1, 128)
  clientReference?: string;

  @IsOptional()
  @IsString()
  @MaxLength(1000)
  note?: string;
}
