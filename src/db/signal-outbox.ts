import type Stripe from 'stripe';
import type { StripeEventRef } from '../shared/messages';
import type { EventSource } from './events';
import type { Queryable } from './queryable';

/** Channel of the NOTIFY sent with every outbox row, carrying the install id: relays wake on it at once. */
export const SIGNAL_OUTBOX_CHANNEL = 'signal_outbox';

export interface OutboxRow {
  id: string;
  installId: string;
  ref: StripeEventRef;
  recordedAt: Date;
  /** The install was disabled since: the row is dropped, never signalled (a signal would start its workflow again). */
  installDisabled: boolean;
}

/**
 * Records a customer's event and its outbox row in one statement (one round trip, one implicit transaction), and
 * notifies the relays on commit. The outbox row is written also for an event already recorded: that earlier delivery
 * may predate the outbox, and a repeated signal costs the workflow nothing. Returns whether the event was new.
 */
export async function recordEventForSignal(
  db: Queryable,
  installId: string,
  event: Stripe.Event,
  ref: StripeEventRef,
  source: EventSource,
): Promise<boolean> {
  const result = await db.query<{ recorded: string }>(
    `WITH recorded AS (
       INSERT INTO stripe_events (install_id, event_id, type, customer_id, refresh, livemode, created, payload, source)
       VALUES ($1, $2, $3, $4, $9, $5, to_timestamp($6), $7, $8) ON CONFLICT (install_id, event_id) DO NOTHING
       RETURNING 1),
     queued AS (
       INSERT INTO signal_outbox (install_id, event_id, customer_id, refresh) VALUES ($1, $2, $4, $9)
       ON CONFLICT (install_id, event_id) DO NOTHING)
     SELECT (SELECT count(*) FROM recorded) AS recorded, pg_notify($10, $1)`,
    [
      installId,
      event.id,
      event.type,
      ref.customerId,
      event.livemode,
      event.created,
      JSON.stringify(event),
      source,
      ref.refresh,
      SIGNAL_OUTBOX_CHANNEL,
    ],
  );
  return Number(result.rows[0]?.recorded ?? 0) > 0;
}

interface RawOutboxRow {
  id: string;
  install_id: string;
  event_id: string;
  customer_id: string;
  refresh: boolean;
  recorded_at: Date;
  install_disabled: boolean;
}

const toRow = (row: RawOutboxRow): OutboxRow => ({
  id: row.id,
  installId: row.install_id,
  ref: { eventId: row.event_id, customerId: row.customer_id, refresh: row.refresh },
  recordedAt: row.recorded_at,
  installDisabled: row.install_disabled,
});

export interface ClaimOptions {
  /** Rows at most. */
  limit: number;
  /** How long the claim holds: longer than a signal may take, so no other relay signals the same rows meanwhile. */
  leaseMs: number;
  /** Installs whose rows are left alone (this relay is signalling them already: one signal per install at a time). */
  skipInstalls?: string[];
  /** Only this install's rows. */
  installId?: string;
  /** Only rows recorded at least this long ago (the worker's catch-up leaves fresh rows to the relays). */
  olderThanMs?: number;
}

/**
 * Takes unclaimed (or expired) outbox rows, oldest first, and leases them. SKIP LOCKED lets several relays (one per
 * API process) claim at once without waiting on each other or taking the same rows.
 */
export async function claimOutboxRows(db: Queryable, options: ClaimOptions): Promise<OutboxRow[]> {
  const result = await db.query<RawOutboxRow>(
    `WITH claimable AS (
       SELECT id FROM signal_outbox
       WHERE (claimed_until IS NULL OR claimed_until < now())
         AND NOT (install_id = ANY($3::text[]))
         AND ($4::text IS NULL OR install_id = $4)
         AND recorded_at <= now() - make_interval(secs => $5)
       ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
     UPDATE signal_outbox o SET claimed_until = now() + make_interval(secs => $2), attempts = o.attempts + 1
     FROM claimable, installs i
     WHERE o.id = claimable.id AND i.id = o.install_id
     RETURNING o.id, o.install_id, o.event_id, o.customer_id, o.refresh, o.recorded_at,
               i.status = 'disabled' AS install_disabled`,
    [
      options.limit,
      options.leaseMs / 1000,
      options.skipInstalls ?? [],
      options.installId ?? null,
      (options.olderThanMs ?? 0) / 1000,
    ],
  );
  return result.rows.map(toRow).sort((a, b) => Number(a.id) - Number(b.id));
}

/**
 * The rows' events reached the workflow (or need not): done. Returns each deleted row's time in the outbox (s), by
 * the database's clock, the one that stamped it.
 */
export async function deleteOutboxRows(db: Queryable, ids: string[]): Promise<number[]> {
  if (ids.length === 0) return [];
  const result = await db.query<{ lag: number }>(
    `DELETE FROM signal_outbox WHERE id = ANY($1::bigint[])
     RETURNING extract(epoch FROM clock_timestamp() - recorded_at)::float8 AS lag`,
    [ids],
  );
  return result.rows.map((row) => Math.max(0, Number(row.lag)));
}

/** The signal failed: the rows wait `delayMs` before any relay takes them again. */
export async function deferOutboxRows(db: Queryable, ids: string[], delayMs: number): Promise<void> {
  if (ids.length === 0) return;
  await db.query(
    `UPDATE signal_outbox SET claimed_until = now() + make_interval(secs => $2) WHERE id = ANY($1::bigint[])`,
    [ids, delayMs / 1000],
  );
}

export interface OutboxBacklog {
  rows: number;
  /** Age of the oldest row (s); 0 when empty. */
  oldestSeconds: number;
}

export async function outboxBacklog(db: Queryable): Promise<OutboxBacklog> {
  const result = await db.query<{ rows: string; oldest: number | null }>(
    `SELECT count(*) AS rows, extract(epoch FROM now() - min(recorded_at))::float8 AS oldest FROM signal_outbox`,
  );
  const row = result.rows[0];
  return { rows: Number(row?.rows ?? 0), oldestSeconds: Math.max(0, Number(row?.oldest ?? 0)) };
}
