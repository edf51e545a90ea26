import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString } from 'class-validator';
import { OrderFilterQuery } from '../../orders/dto/order-filter.query';
import type { OrderExportFormat } from '../order-export.entity';

export const EXPORT_FORMATS: OrderExportFormat[] = ['csv'];

/** An export of the orders the filter names (all of them without one). */
export class CreateOrderExportDto extends OrderFilterQuery {
  @ApiProperty({ enum: EXPORT_FORMATS })
  @IsIn(EXPORT_FORMATS)
  @IsString()
  format: OrderExportFormat;
}
