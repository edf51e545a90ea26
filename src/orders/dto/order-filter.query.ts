import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsString, Matches } from 'class-validator';
import { IsOmittable } from '../../http/validation';
import type { OrderStatus } from '../order.entity';

/** The statuses a filter may name: every status an order can have. */
export const FILTERABLE_STATUSES: OrderStatus[] = ['pending', 'cancelled'];

/**
 * An RFC 3339 date-time with its offset, to the millisecond (what the API itself writes): a time
 * without an offset would be read in the server's time zone, and finer digits would be cut off.
 * Years from 0100: the ISO 8601 check's calendar test misreads years 0000-0099.
 */
const DATE_TIME =
  /^(0[1-9]\d{2}|[1-9]\d{3})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/;
const DATE_TIME_MESSAGE = (field: string) =>
  `${field} must be a date-time with an offset in the years 0100 to 9999, such as 2026-11-21T10:00:00Z`;
/** What the pattern adds to ISO 8601: the offset, and no digits past the millisecond. */
const PRECISION_MESSAGE = (field: string) =>
  `${field} must be a date-time with an offset (Z or ±hh:mm) and at most millisecond precision, such as 2026-11-21T10:00:00.123Z`;

/**
 * An optional filter instant (`createdFrom`, `createdTo`): its rules and messages, and the
 * document's schema for it. The first rule a value breaks is the answer, and applyDecorators
 * applies (so class-validator checks) these in the order written, unlike decorators stacked on a
 * property, which are checked bottom-up: a value that is no date-time gets the plain message, one
 * finer than the millisecond the pattern's.
 */
const OptionalDateTime = (field: string) =>
  applyDecorators(
    ApiPropertyOptional({
      type: 'string',
      format: 'date-time',
      pattern: DATE_TIME.source,
      example: '2026-11-21T10:00:00Z',
    }),
    IsOmittable(),
    IsString(),
    IsISO8601({ strict: true }, { message: DATE_TIME_MESSAGE(field) }),
    Matches(DATE_TIME, { message: PRECISION_MESSAGE(field) }),
  );

/** An optional `status` filter, checked in the order written as OptionalDateTime's rules are. */
const OptionalStatus = () =>
  applyDecorators(
    ApiPropertyOptional({ enum: FILTERABLE_STATUSES }),
    IsOmittable(),
    IsString(),
    IsIn(FILTERABLE_STATUSES),
  );

/** Which orders: all of them, or those with a status, created in a range (both ends included). */
export class OrderFilterQuery {
  /** Only orders with this status; all of them when absent. */
  @OptionalStatus()
  status?: OrderStatus;

  /** Only orders created at or after this instant. */
  @OptionalDateTime('createdFrom')
  createdFrom?: string;

  /** Only orders created at or before this instant; not before `createdFrom`. */
  @OptionalDateTime('createdTo')
  createdTo?: string;
}
