/** Events not published to NATS yet: numbered and waiting for the relay, or still pending. */
export const COUNT_UNPUBLISHED_EVENTS = `
  SELECT (SELECT count(*) FROM events
           WHERE position > (SELECT published_through FROM event_relay_progress))
       + (SELECT count(*) FROM events WHERE position IS NULL)
       + (SELECT count(*) FROM events_pending) AS n`;
