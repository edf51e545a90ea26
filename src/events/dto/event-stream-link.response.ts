import { ApiTimestamp } from '../../http/openapi.decorators';

/** The stream's URL that opens without a token, for EventSource, until `expiresAt`. */
export class EventStreamLinkResponse {
  /** The caller's stream, as `GET /api/events/stream` with their token gives it. */
  streamUrl: string;
  /** When the token it was made with expires: the link stops opening then, and its stream ends. */
  @ApiTimestamp()
  expiresAt: string;
}
