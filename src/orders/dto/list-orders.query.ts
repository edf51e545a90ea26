import { IntersectionType } from '@nestjs/swagger';
import { PageQuery } from '../../http/dto/page.query';
import { OptionalClientReference } from './client-reference';
import { OrderFilterQuery } from './order-filter.query';

/** What only the list filters by: an export takes every order the filter names. */
class OrderReferenceQuery {
  /** Only the order with this clientReference (there is at most one): none when there is none. */
  @OptionalClientReference()
  clientReference?: string;
}

/** A page of the caller's orders: all of them, or those the filter names (as an export takes it). */
export class ListOrdersQuery extends IntersectionType(
  PageQuery,
  OrderFilterQuery,
  OrderReferenceQuery,
) {}
