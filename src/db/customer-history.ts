import type { Queryable } from './queryable';

/** What the service did for one customer, from its own records (explain-one-customer, issue 22). */
export interface CustomerHistory {
  contactId: string | null;
  /** When the contact's attributes were last written, and whether this service created the contact. */
  lastWrite: { at: Date | null; createdByUs: boolean } | null;
  /** The newest 20 recorded Stripe events of the customer: `received` ones are pending. */
  events: {
    eventId: string;
    type: string;
    status: string;
    created: Date;
    processedAt: Date | null;
    intercomEventAt: Date | null;
  }[];
  failure: { reason: string; code: string | null; attempts: number; lastFailedAt: Date } | null;
}

export async function customerHistory(db: Queryable, installId: string, customerId: string): Promise<CustomerHistory> {
  const [link, events, failure] = await Promise.all([
    db.query<{ contact_id: string; written_at: Date | null; created_by_us: boolean | null }>(
      `SELECT l.contact_id, c.written_at, c.created_by_us FROM contact_links l
         LEFT JOIN intercom_contacts c ON c.install_id = l.install_id AND c.contact_id = l.contact_id
        WHERE l.install_id = $1 AND l.customer_id = $2`,
      [installId, customerId],
    ),
    db.query<{
      event_id: string;
      type: string;
      status: string;
      created: Date;
      processed_at: Date | null;
      intercom_event_at: Date | null;
    }>(
      `SELECT event_id, type, status, created, processed_at, intercom_event_at FROM stripe_events
        WHERE install_id = $1 AND customer_id = $2 ORDER BY created DESC, event_id DESC LIMIT 20`,
      [installId, customerId],
    ),
    db.query<{ reason: string; code: string | null; attempts: number; last_failed_at: Date }>(
      `SELECT reason, code, attempts, last_failed_at FROM customer_failures WHERE install_id = $1 AND customer_id = $2`,
      [installId, customerId],
    ),
  ]);
  const linked = link.rows[0];
  const failed = failure.rows[0];
  return {
    contactId: linked?.contact_id ?? null,
    lastWrite: linked ? { at: linked.written_at, createdByUs: linked.created_by_us === true } : null,
    events: events.rows.map((row) => ({
      eventId: row.event_id,
      type: row.type,
      status: row.status,
      created: row.created,
      processedAt: row.processed_at,
      intercomEventAt: row.intercom_event_at,
    })),
    failure: failed
      ? { reason: failed.reason, code: failed.code, attempts: failed.attempts, lastFailedAt: failed.last_failed_at }
      : null,
  };
}
