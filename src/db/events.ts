import type Stripe from 'stripe';
import type { Queryable } from './queryable';

export type EventSource = 'webhook' | 'catch-up';

export interface RecordedEvent {
  eventId: string;
  type: string;
  customerId: string | null;
  created: Date;
  payload: Stripe.Event;
  intercomEventAt: Date | null;
}

/**
 * Records a Stripe event once; returns false when it was already recorded. A customer's event gives its customer and
 * whether it asks for a re-read from Stripe (`refresh`): pending work the sync workflow can re-read from here.
 */
export async function recordEvent(
  db: Queryable,
  installId: string,
  event: Stripe.Event,
  customer: { customerId: string; refresh: boolean } | null,
  source: EventSource,
): Promise<boolean> {
  const result = await db.query(
    `INSERT INTO stripe_events (install_id, event_id, type, customer_id, refresh, livemode, created, payload, source)
     VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7), $8, $9) ON CONFLICT (install_id, event_id) DO NOTHING`,
    [
      installId,
      event.id,
      event.type,
      customer?.customerId ?? null,
      customer?.refresh ?? null,
      event.livemode,
      event.created,
      JSON.stringify(event),
      source,
    ],
  );
  return (result.rowCount ?? 0) > 0;
}

/** Where a read of pending events resumes: after this event in (created, event id) order. */
export interface PendingEventsCursor {
  created: string;
  eventId: string;
}

/**
 * A page of the install's customer events recorded and not yet processed, oldest first: the sync workflow's pending
 * work, re-read after it continues as new. An event recorded before `refresh` was stored is taken as asking for a
 * re-read (the customer is read from Stripe once more: correct, if not necessary).
 */
export async function pendingEventRefs(
  db: Queryable,
  installId: string,
  after: PendingEventsCursor | null,
  limit: number,
): Promise<{
  refs: Array<{ eventId: string; customerId: string; refresh: boolean }>;
  next: PendingEventsCursor | null;
}> {
  const result = await db.query<{ event_id: string; customer_id: string; refresh: boolean | null; created: Date }>(
    `SELECT event_id, customer_id, refresh, created FROM stripe_events
     WHERE install_id = $1 AND status = 'received' AND customer_id IS NOT NULL
       AND ($2::timestamptz IS NULL OR (created, event_id) > ($2::timestamptz, $3::text))
     ORDER BY created, event_id LIMIT $4`,
    [installId, after?.created ?? null, after?.eventId ?? null, limit],
  );
  const refs = result.rows.map((row) => ({
    eventId: row.event_id,
    customerId: row.customer_id,
    refresh: row.refresh ?? true,
  }));
  const last = result.rows[result.rows.length - 1];
  const next =
    last && result.rows.length === limit ? { created: last.created.toISOString(), eventId: last.event_id } : null;
  return { refs, next };
}

export async function getEvents(db: Queryable, installId: string, eventIds: string[]): Promise<RecordedEvent[]> {
  if (eventIds.length === 0) return [];
  const result = await db.query<{
    event_id: string;
    type: string;
    customer_id: string | null;
    created: Date;
    payload: Stripe.Event;
    intercom_event_at: Date | null;
  }>(
    `SELECT event_id, type, customer_id, created, payload, intercom_event_at FROM stripe_events
     WHERE install_id = $1 AND event_id = ANY($2)`,
    [installId, eventIds],
  );
  const byId = new Map(result.rows.map((row) => [row.event_id, row]));
  return eventIds.flatMap((id) => {
    const row = byId.get(id);
    return row
      ? [
          {
            eventId: row.event_id,
            type: row.type,
            customerId: row.customer_id,
            created: row.created,
            payload: row.payload,
            intercomEventAt: row.intercom_event_at,
          },
        ]
      : [];
  });
}

export async function markEventsProcessed(
  db: Queryable,
  installId: string,
  eventIds: string[],
  status: 'processed' | 'failed' = 'processed',
  reason: string | null = null,
): Promise<void> {
  if (eventIds.length === 0) return;
  await db.query(
    `UPDATE stripe_events SET status = $3, status_reason = $4, processed_at = now()
     WHERE install_id = $1 AND event_id = ANY($2)`,
    [installId, eventIds, status, reason],
  );
}

export async function markIntercomEventSent(db: Queryable, installId: string, eventId: string): Promise<void> {
  await db.query(
    `UPDATE stripe_events SET intercom_event_at = now() WHERE install_id = $1 AND event_id = $2 AND intercom_event_at IS NULL`,
    [installId, eventId],
  );
}

/** The newest event already recorded, where catch-up resumes. */
export async function newestEventCreated(db: Queryable, installId: string): Promise<Date | null> {
  const result = await db.query<{ created: Date | null }>(
    `SELECT max(created) AS created FROM stripe_events WHERE install_id = $1`,
    [installId],
  );
  return result.rows[0]?.created ?? null;
}

export interface WebhookCounts {
  received: number;
  processed: number;
  failed: number;
  pending: number;
  lastEventAt: Date | null;
  /** Mean seconds from the Stripe event's creation to its processing, over the last hour. */
  recentLagSeconds: number | null;
}

export async function webhookCounts(db: Queryable, installId: string): Promise<WebhookCounts> {
  const result = await db.query<{
    received: string;
    processed: string;
    failed: string;
    pending: string;
    last_event_at: Date | null;
    lag: number | null;
  }>(
    `SELECT count(*) AS received,
            count(*) FILTER (WHERE status = 'processed') AS processed,
            count(*) FILTER (WHERE status = 'failed') AS failed,
            count(*) FILTER (WHERE status = 'received') AS pending,
            max(created) AS last_event_at,
            avg(extract(epoch FROM processed_at - created)) FILTER (WHERE processed_at > now() - interval '1 hour') AS lag
     FROM stripe_events WHERE install_id = $1`,
    [installId],
  );
  const row = result.rows[0];
  return {
    received: Number(row?.received ?? 0),
    processed: Number(row?.processed ?? 0),
    failed: Number(row?.failed ?? 0),
    pending: Number(row?.pending ?? 0),
    lastEventAt: row?.last_event_at ?? null,
    recentLagSeconds: row?.lag == null ? null : Number(row.lag),
  };
}

/** Counts an acknowledged-but-ignored delivery (unknown install, wrong livemode, unhandled type). */
export async function countIgnoredWebhook(db: Queryable, installId: string | null, reason: string): Promise<void> {
  await db.query(
    `INSERT INTO ignored_webhooks (install_id, reason, count) VALUES ($1, $2, 1)
     ON CONFLICT (install_id, reason) DO UPDATE SET count = ignored_webhooks.count + 1, last_at = now()`,
    [installId ?? '', reason],
  );
}

export async function ignoredWebhookCounts(db: Queryable, installId: string): Promise<Record<string, number>> {
  const result = await db.query<{ reason: string; count: string }>(
    `SELECT reason, count FROM ignored_webhooks WHERE install_id = $1`,
    [installId],
  );
  return Object.fromEntries(result.rows.map((row) => [row.reason, Number(row.count)]));
}

/**
 * Of the given events, those recorded but not yet processed. A redelivered or re-listed event in this state may
 * never have reached the sync workflow (recorded, then the signal failed), so it is handed over again.
 */
export async function eventIdsStillReceived(
  db: Queryable,
  installId: string,
  eventIds: string[],
): Promise<Set<string>> {
  if (eventIds.length === 0) return new Set();
  const result = await db.query<{ event_id: string }>(
    `SELECT event_id FROM stripe_events WHERE install_id = $1 AND event_id = ANY($2) AND status = 'received'`,
    [installId, eventIds],
  );
  return new Set(result.rows.map((row) => row.event_id));
}

/**
 * Deletes handled events (processed, failed, ignored) received more than `days` ago, in bounded batches so no single
 * statement holds locks for long. Events still waiting for the sync stay, whatever their age. Returns how many went.
 */
export async function deleteHandledEventsOlderThan(db: Queryable, days: number, batch = 5_000): Promise<number> {
  let deleted = 0;
  for (;;) {
    const result = await db.query(
      `DELETE FROM stripe_events WHERE ctid = ANY(ARRAY(
         SELECT ctid FROM stripe_events
         WHERE received_at < now() - make_interval(days => $1) AND status <> 'received' LIMIT $2))`,
      [days, batch],
    );
    deleted += result.rowCount ?? 0;
    if ((result.rowCount ?? 0) < batch) return deleted;
  }
}

/** Recorded events of these types that name a customer, created since `since` (reconcile's expected data events). */
export async function recordedEventsOfTypes(
  db: Queryable,
  installId: string,
  types: string[],
  since: Date,
): Promise<RecordedEvent[]> {
  const result = await db.query<{ event_id: string }>(
    `SELECT event_id FROM stripe_events
     WHERE install_id = $1 AND type = ANY($2) AND customer_id IS NOT NULL AND created >= $3`,
    [installId, types, since],
  );
  return getEvents(
    db,
    installId,
    result.rows.map((row) => row.event_id),
  );
}

/** Forgets that these events reached Intercom (reconcile found them missing there), so the sync sends them again. */
export async function clearIntercomEventSent(db: Queryable, installId: string, eventIds: string[]): Promise<void> {
  if (eventIds.length === 0) return;
  await db.query(`UPDATE stripe_events SET intercom_event_at = NULL WHERE install_id = $1 AND event_id = ANY($2)`, [
    installId,
    eventIds,
  ]);
}
