import type { Type } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';

/**
 * The response class of a page of `item`s, newest first, as every list but the event feed answers
 * it; extend it to name the page in the OpenAPI document (`class OrderPageResponse extends ...`).
 */
export function PageResponseOf<T>(item: Type<T>) {
  class PageResponse {
    @ApiProperty({ type: () => [item] })
    data: T[];

    @ApiProperty({
      type: 'string',
      nullable: true,
      description: 'Pass as `cursor` for the next (older) page; null on the last page.',
    })
    nextCursor: string | null;
  }
  return PageResponse;
}
