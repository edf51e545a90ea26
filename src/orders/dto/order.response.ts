import { ApiProperty } from '@nestjs/swagger';
import type { OrderStatus } from '../order.entity';

export class OrderItemResponse {
  sku: string;
  quantity: number;
  unitPrice: number;
  lineTotal: number;
}

/** The full order as its owner sees it; amounts are integers in minor units of `currency`. */
export class OrderResponse {
  id: string;
  userId: string;
  @ApiProperty({ enum: ['pending', 'cancelled'] })
  status: OrderStatus;
  currency: string;
  items: OrderItemResponse[];
  total: number;
  clientReference: string | null;
  note: string | null;
  createdAt: string;
  updatedAt: string;
}

export class OrderPageResponse {
  data: OrderResponse[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}
