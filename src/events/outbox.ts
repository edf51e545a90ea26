import { newId } from '../database/uuid';
import { write, Write } from '../idempotency/create-statement';

/** Every change a client can observe, by the name its event carries (SPEC, "Events"). */
export type EventType =
  | 'user.created'
  | 'user.updated'
  | 'order.created'
  | 'order.cancelled'
  | 'file.created'
  | 'file.ready'
  | 'file.failed'
  | 'file.deleted'
  | 'order_export.succeeded'
  | 'order_export.failed';

/** A change to announce: whose it is, which resource, and that resource as the API answers it. */
export interface NewEvent {
  type: EventType;
  owner: string;
  subject: string;
  /** The resource's JSON, as sent (or as it would be sent) to its owner. */
  data: string;
}

/** An event per row of `from`, its id, owner, subject and data given as SQL expressions. */
function eventInsert(
  name: string,
  type: EventType,
  from: string,
  value: { id: string; owner: string; subject: string; data: string },
): Write {
  return write(
    name,
    `
     INSERT INTO events_pending (id, user_id, type, subject, time, data)
     SELECT ${value.id}, ${value.owner}, '${type}', ${value.subject}, clock_timestamp(), ${value.data}
       FROM ${from}`,
  );
}

/**
 * A create's event as one more write of its statement (after the write named `from`), so that it
 * commits with the create and a replay writes none. Its values come from `eventValues`.
 */
export function eventWrite(type: EventType, from: string): Write {
  return eventInsert(`${type.replace('.', '_')}_event`, type, from, {
    id: ':eventId::uuid',
    owner: ':eventOwner::uuid',
    subject: ':eventSubject::uuid',
    data: ':eventData::json',
  });
}

/** The columns `eventWriteMany` reads, among a batched create's own (see `ManyWrites`). */
export const EVENT_COLUMNS = 'event_id uuid, event_owner uuid, event_subject uuid';

/**
 * `eventWrite` for a batched create: an event per row of `from` (`claimed`), from its
 * EVENT_COLUMNS. Its data is the create's stored answer, `response_body` among the claim's columns:
 * a batched create is keyed, and the body its 201 sent is the resource as its event carries it, so
 * a batch sends that JSON once rather than twice.
 */
export function eventWriteMany(type: EventType, from: string): Write {
  return eventInsert(`${type.replace('.', '_')}_events`, type, from, {
    id: 'event_id',
    owner: 'event_owner',
    subject: 'event_subject',
    data: 'response_body::json',
  });
}

/** The values `eventWrite` reads, for the create's statement. */
export function eventValues({ owner, subject, data }: Omit<NewEvent, 'type'>) {
  return { eventId: newId(), eventOwner: owner, eventSubject: subject, eventData: data };
}

/** The same values as EVENT_COLUMNS name them, for a batched create's row. */
export function eventColumns(values: ReturnType<typeof eventValues>) {
  return {
    event_id: values.eventId,
    event_owner: values.eventOwner,
    event_subject: values.eventSubject,
  };
}
