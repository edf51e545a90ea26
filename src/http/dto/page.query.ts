import { OpaqueQueryText, PageLimit } from '../query-parameters';

export const DEFAULT_PAGE_SIZE = 20;

/**
 * A page of a list, newest first: the query every list takes. Each property's rules are checked
 * bottom-up, the most basic first (see create-order.dto.ts).
 */
export class PageQuery {
  @PageLimit(DEFAULT_PAGE_SIZE)
  limit: number = DEFAULT_PAGE_SIZE;

  /** Opaque: the `nextCursor` of the previous page. */
  @OpaqueQueryText()
  cursor?: string;
}
