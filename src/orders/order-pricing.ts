import type { OrderItemDto } from './dto/create-order.dto';
import type { OrderItemResponse } from './dto/order.response';

export interface PricedItems {
  items: OrderItemResponse[];
  total: number;
}

/**
 * Line totals and the order total in integer minor units. The DTO bounds keep the largest
 * possible order (10^15) exact in a JS number and in the bigint columns; the check is a tripwire
 * should those bounds ever be raised.
 */
export function priceItems(items: OrderItemDto[]): PricedItems {
  const priced = items.map(({ sku, quantity, unitPrice }) => ({
    sku,
    quantity,
    unitPrice,
    lineTotal: quantity * unitPrice,
  }));
  const total = priced.reduce((sum, item) => sum + item.lineTotal, 0);
  if (!Number.isSafeInteger(total))
    throw new RangeError(`order total ${total} is not an exact integer`);
  return { items: priced, total };
}
