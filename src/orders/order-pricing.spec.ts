import { MAX_ITEMS, MAX_QUANTITY, MAX_UNIT_PRICE } from './dto/create-order.dto';
import { priceItems } from './order-pricing';

describe('priceItems', () => {
  it('computes line totals and the total in integer minor units', () => {
    expect(
      priceItems([
        { sku: 'A', quantity: 3, unitPrice: 199 },
        { sku: 'B', quantity: 1, unitPrice: 0 },
        { sku: 'C', quantity: 2, unitPrice: 1050 },
      ]),
    ).toEqual({
      items: [
        { sku: 'A', quantity: 3, unitPrice: 199, lineTotal: 597 },
        { sku: 'B', quantity: 1, unitPrice: 0, lineTotal: 0 },
        { sku: 'C', quantity: 2, unitPrice: 1050, lineTotal: 2100 },
      ],
      total: 2697,
    });
  });

  it('keeps the largest order the validation allows exact, and inside PostgreSQL bigint', () => {
    const largest = Array.from({ length: MAX_ITEMS }, (_, i) => ({
      sku: `S${i}`,
      quantity: MAX_QUANTITY,
      unitPrice: MAX_UNIT_PRICE,
    }));
    const { total } = priceItems(largest);
    expect(total).toBe(1e15);
    expect(Number.isSafeInteger(total)).toBe(true);
    expect(BigInt(total) <= 2n ** 63n - 1n).toBe(true);
  });

  it('refuses a total that is no longer an exact integer', () => {
    const huge = Array.from({ length: 10 }, (_, i) => ({
      sku: `H${i}`,
      quantity: 2 ** 30,
      unitPrice: 2 ** 30,
    }));
    expect(() => priceItems(huge)).toThrow(RangeError);
  });
});
