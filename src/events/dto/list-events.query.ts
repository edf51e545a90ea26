import { IsOptional, IsString, MaxLength } from 'class-validator';
import { PageLimit } from '../../http/page-limit';

export const DEFAULT_EVENT_PAGE = 50;

/**
 * GET /api/events/stream's query (Last-Event-ID, when sent, wins over `after`). Each property's
 * rules are checked bottom-up, the most basic first (see create-order.dto.ts).
 */
export class StreamEventsQuery {
  /** Opaque: a `nextCursor` (or a stream's event `id`); events strictly after it. */
  @MaxLength(200)
  @IsString()
  @IsOptional()
  after?: string;
}

export class ListEventsQuery extends StreamEventsQuery {
  @PageLimit(DEFAULT_EVENT_PAGE)
  limit: number = DEFAULT_EVENT_PAGE;
}
