import { ValidationFailedError } from '../http/problem';
import type { OrderStatus } from './order.entity';

/** Which orders: those with `status`, created from `createdFrom` to `createdTo`; null: any. */
export interface OrderFilter {
  status: OrderStatus | null;
  createdFrom: string | null;
  createdTo: string | null;
}

/** The earliest and latest instants a filter may name, in UTC: what the API's own form can write. */
const FIRST_INSTANT = new Date('0100-01-01T00:00:00Z');
const LAST_INSTANT = new Date('9999-12-31T23:59:59.999Z');

/**
 * The filter a request asks for (the orders list's query, an export's body: their DTOs hold the
 * rules of each field), with its instants in the API's own form (UTC); 400 for an instant its
 * offset moves out of the years 0100-9999 (the pattern checks the year as written), and for a
 * range that ends before it starts.
 */
export function orderFilterOf({
  status,
  createdFrom,
  createdTo,
}: {
  status?: OrderStatus;
  createdFrom?: string;
  createdTo?: string;
}): OrderFilter {
  const from = instantOf('createdFrom', createdFrom);
  const to = instantOf('createdTo', createdTo);
  if (from && to && from > to)
    throw new ValidationFailedError([
      { field: 'createdTo', message: 'createdTo must not be before createdFrom' },
    ]);
  return {
    status: status ?? null,
    createdFrom: from?.toISOString() ?? null,
    createdTo: to?.toISOString() ?? null,
  };
}

function instantOf(field: string, value: string | undefined): Date | null {
  if (value === undefined) return null;
  const instant = new Date(value);
  if (instant < FIRST_INSTANT || instant > LAST_INSTANT)
    throw new ValidationFailedError([
      {
        field,
        message: `${field} must be from ${FIRST_INSTANT.toISOString()} to ${LAST_INSTANT.toISOString()} in UTC`,
      },
    ]);
  return instant;
}

/**
 * The filter's conditions on orders (alias `o`), ANDed on to a statement's WHERE; its values come
 * from `filterValues`.
 */
export const ORDER_FILTER_SQL = `
      AND o.created_at >= :createdFrom::timestamptz AND o.created_at <= :createdTo::timestamptz
      AND (:status::text IS NULL OR o.status = :status::text)`;

/**
 * The filter's values for ORDER_FILTER_SQL: the instants never null (infinities stand for an open
 * end), so every condition is a range of orders_user_created_idx, also in a generic plan.
 */
export function filterValues(filter: OrderFilter) {
  return {
    status: filter.status,
    createdFrom: filter.createdFrom ?? '-infinity',
    createdTo: filter.createdTo ?? 'infinity',
  };
}
