import { ApiProperty } from '@nestjs/swagger';
import { ApiTimestamp, ApiUuid } from '../../http/openapi.decorators';
import type { EventType } from '../outbox';

const EVENT_TYPES: EventType[] = [
  'user.created',
  'user.updated',
  'order.created',
  'order.cancelled',
  'file.created',
  'file.ready',
  'file.failed',
  'file.deleted',
  'order_export.succeeded',
  'order_export.failed',
];

/** A change, as a CloudEvents 1.0 JSON object. */
export class CloudEventResponse {
  @ApiProperty({ enum: ['1.0'] })
  specversion: '1.0';
  /** Unique (a UUIDv7): consumers drop repeats by it. */
  @ApiUuid()
  id: string;
  /** This service. */
  source: string;
  @ApiProperty({ enum: EVENT_TYPES })
  type: EventType;
  /** The changed resource's id. */
  @ApiUuid()
  subject: string;
  /** When the change was made. */
  @ApiTimestamp()
  time: string;
  @ApiProperty({ enum: ['application/json'] })
  datacontenttype: 'application/json';
  /** The resource as the API returned it at that moment (a deleted file: as it was). */
  @ApiProperty({ type: 'object', additionalProperties: true })
  data: object;
}

export class EventPageResponse {
  data: CloudEventResponse[];
  /**
   * Pass as `after` to read on: it resumes strictly after the last event of this page; the same
   * `after` when the page is empty (null if none was given).
   */
  nextCursor: string | null;
}
