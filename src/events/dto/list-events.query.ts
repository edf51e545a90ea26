import { OpaqueQueryText, PageLimit } from '../../http/query-parameters';

export const DEFAULT_EVENT_PAGE = 50;

/**
 * Where a read of the events starts. Each property's rules are checked bottom-up, the most basic
 * first (see create-order.dto.ts).
 */
class EventsAfterQuery {
  /** Opaque: a `nextCursor` (or a stream's event `id`); events strictly after it. */
  @OpaqueQueryText()
  after?: string;
}

/** GET /api/events/stream's query (Last-Event-ID, when sent, wins over `after`). */
export class StreamEventsQuery extends EventsAfterQuery {
  /** From `GET /api/events/stream/link`; with it, no Authorization is needed (any sent is not used). */
  @OpaqueQueryText()
  link?: string;
}

export class ListEventsQuery extends EventsAfterQuery {
  @PageLimit(DEFAULT_EVENT_PAGE)
  limit: number = DEFAULT_EVENT_PAGE;
}
