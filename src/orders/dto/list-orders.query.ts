import { IntersectionType } from '@nestjs/swagger';
import { PageQuery } from '../../http/dto/page.query';
import { OrderFilterQuery } from './order-filter.query';

/** A page of the caller's orders: all of them, or those the filter names (as an export takes it). */
export class ListOrdersQuery extends IntersectionType(PageQuery, OrderFilterQuery) {}
