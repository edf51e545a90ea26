import { ApiProperty } from '@nestjs/swagger';
import { ApiTimestamp, ApiUuid } from '../../http/openapi.decorators';
import type { OrderStatus } from '../order.entity';
import { PageResponseOf } from '../../http/dto/page.response';

export class OrderItemResponse {
  sku: string;
  @ApiProperty({ type: 'integer' })
  quantity: number;
  @ApiProperty({ type: 'integer' })
  unitPrice: number;
  /** quantity × unitPrice. */
  @ApiProperty({ type: 'integer' })
  lineTotal: number;
}

/** The full order as its owner sees it; amounts are integers in minor units of `currency`. */
export class OrderResponse {
  @ApiUuid()
  id: string;
  @ApiUuid()
  userId: string;
  @ApiProperty({ enum: ['pending', 'cancelled'] })
  status: OrderStatus;
  currency: string;
  items: OrderItemResponse[];
  /** The sum of the line totals. */
  @ApiProperty({ type: 'integer' })
  total: number;
  clientReference: string | null;
  note: string | null;
  @ApiTimestamp()
  createdAt: string;
  @ApiTimestamp()
  updatedAt: string;
}

export class OrderPageResponse extends PageResponseOf(OrderResponse) {}
