import type { Queryable } from './queryable';

/** How far a same-second collision may push an event: far beyond any real burst, small enough to stop a bug. */
const MAX_BUMP_SECONDS = 3_600;

/**
 * The `created_at` to send a Stripe event with to one Intercom contact. Intercom keeps a single event per (contact,
 * event name, created_at) (2.14 reference, Submit a data event, "Event de-duplication":
 * https://developers.intercom.com/docs/references/2.14/rest-api/api.intercom.io/data-events/createdataevent), so the
 * Stripe event's own second is used when free, else the next free second. The choice is stored before the send: a
 * retried activity sends the same event with the same time again, and Intercom drops that repeat.
 */
export async function reserveEventTime(
  db: Queryable,
  installId: string,
  event: { eventId: string; contactId: string; eventName: string; createdAt: number },
): Promise<number> {
  let restarted = false;
  for (let at = event.createdAt; at <= event.createdAt + MAX_BUMP_SECONDS; at += 1) {
    // Inserted first: an event not reserved yet (all but a retry's) costs this one statement.
    const inserted = await db.query(
      `INSERT INTO intercom_event_times (install_id, event_id, contact_id, event_name, created_at)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
      [installId, event.eventId, event.contactId, event.eventName, at],
    );
    if (inserted.rowCount === 1) return at;
    // Either that second is another event's, or this event is reserved already: by an earlier or a concurrent attempt
    // (whose second stands, as once this search has started over), or for a contact it no longer goes to.
    const reserved = await reservedTime(db, installId, event.eventId);
    if (reserved && (reserved.contactId === event.contactId || restarted)) return reserved.createdAt;
    if (reserved) {
      // The event's contact changed (it was deleted in Intercom and resolved afresh): its old second means nothing
      // now; the search starts again at the event's own second.
      await db.query(`DELETE FROM intercom_event_times WHERE install_id = $1 AND event_id = $2`, [
        installId,
        event.eventId,
      ]);
      restarted = true;
      at = event.createdAt - 1;
    }
  }
  throw new Error(`no free second within ${MAX_BUMP_SECONDS} s for event ${event.eventId}`);
}

async function reservedTime(
  db: Queryable,
  installId: string,
  eventId: string,
): Promise<{ contactId: string; createdAt: number } | undefined> {
  const result = await db.query<{ contact_id: string; created_at: string }>(
    `SELECT contact_id, created_at FROM intercom_event_times WHERE install_id = $1 AND event_id = $2`,
    [installId, eventId],
  );
  const row = result.rows[0];
  return row && { contactId: row.contact_id, createdAt: Number(row.created_at) };
}

/** The seconds already chosen for these Stripe events, by event id (reconcile expects each event at its own). */
export async function reservedEventTimes(
  db: Queryable,
  installId: string,
  eventIds: string[],
): Promise<Map<string, number>> {
  const result = await db.query<{ event_id: string; created_at: string }>(
    `SELECT event_id, created_at FROM intercom_event_times WHERE install_id = $1 AND event_id = ANY($2)`,
    [installId, eventIds],
  );
  return new Map(result.rows.map((row) => [row.event_id, Number(row.created_at)]));
}
