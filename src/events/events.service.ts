import { Injectable } from '@nestjs/common';
import { requireTokenCaller, type Caller } from '../auth/caller';
import { Transactions } from '../database/transactions';
import { ResourceUrls } from '../http/resource-urls';
import { CloudEventResponse, EventPageResponse } from './dto/cloud-event.response';
import { EventStreamLinkResponse } from './dto/event-stream-link.response';
import { assertResumable, EventCursors } from './event-cursor';
import { EventRow, EventsRepository } from './events.repository';
import type { EventType } from './outbox';
import { StreamLinks } from './stream-links';

/** The CloudEvents `source` of every event this service writes. */
export const EVENT_SOURCE = 'order-service';

@Injectable()
export class EventsService {
  constructor(
    private readonly events: EventsRepository,
    private readonly transactions: Transactions,
    private readonly cursors: EventCursors,
    private readonly links: StreamLinks,
    private readonly urls: ResourceUrls,
  ) {}

  /** The caller's stream URL with a `link` that opens it without a token, as long as theirs lasts. */
  streamLink(caller: Caller): EventStreamLinkResponse {
    const { link, expiresAt } = this.links.of(caller);
    return {
      streamUrl: this.urls.to(`/api/events/stream?link=${link}`),
      expiresAt: expiresAt.toISOString(),
    };
  }

  /**
   * Whom a stream is for: the maker of the `link` it carries (the URL alone decides, whatever
   * token comes with it), else the Bearer token's caller.
   */
  streamCaller(caller: Caller | null, link: string | undefined): Caller {
    if (link !== undefined) return this.links.callerOf(link);
    return requireTokenCaller(caller, 'GET /api/events/stream/link');
  }

  /**
   * The caller's events after `after` (a cursor), oldest first, in the order they were numbered:
   * 410 when the retention has deleted events past the cursor (or it is past every event), and
   * without one, those past the retention's horizon (so that no cursor it gives is expired
   * already).
   */
  async page(caller: Caller, after: string | undefined, limit: number): Promise<EventPageResponse> {
    const position = after === undefined ? '0' : this.cursors.decode(after);
    const { rows, deletedThrough, numbered } = await this.events.retainedPageOwned(
      this.transactions.autocommit,
      caller.userId,
      position,
      limit,
    );
    if (after !== undefined) assertResumable(position, { numbered, deletedThrough }, 'after');
    const last = rows[rows.length - 1];
    return {
      data: rows.map(toCloudEvent),
      nextCursor: last ? this.cursors.encode(last.position) : (after ?? null),
    };
  }

  /**
   * The position a stream starts after: the cursor's (410 when the retention has passed it, or
   * it is past every event), or, without one, the caller's last event so far, or the horizon
   * when that is later (a fresh stream carries only what is to come, and its start is never a
   * cursor already expired).
   */
  async streamStart(caller: Caller, resume: ResumeCursor | null): Promise<string> {
    const position = resume && this.cursors.decode(resume.cursor, resume.field); // 400 first
    const { last, deletedThrough, numbered } = await this.events.lastPositionOwned(
      this.transactions.autocommit,
      caller.userId,
    );
    if (!resume || !position) return BigInt(last) > BigInt(deletedThrough) ? last : deletedThrough;
    assertResumable(position, { numbered, deletedThrough }, resume.field);
    return position;
  }
}

/** A cursor a stream resumes after, and where it came from (named in a 400). */
export interface ResumeCursor {
  cursor: string;
  field: string;
}

export function toCloudEvent(row: EventRow): CloudEventResponse {
  return {
    specversion: '1.0',
    id: row.id,
    source: EVENT_SOURCE,
    type: row.type as EventType,
    subject: row.subject,
    time: row.time.toISOString(),
    datacontenttype: 'application/json',
    data: row.data as object,
  };
}
