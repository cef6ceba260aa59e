import type Stripe from 'stripe';
import type { Pool } from 'pg';
import type { RecordedEvent } from '../db/events';
import { referencedId } from '../mapping';
import { mirroredLatestCharges, upsertCharges, upsertLatestCharges, type LatestCharge } from '../db/mirror';
import type { WorkItem } from '../shared/messages';
import type { BatchEvents } from './batch-events';

/**
 * Events whose only effect on a customer's attributes is the charge they carry. Not `charge.refund.updated` nor
 * disputes: a failed refund lowers `amount_refunded`, which a payload alone cannot order.
 */
const CHARGE_EVENT_TYPES: ReadonlySet<string> = new Set([
  'charge.succeeded',
  'charge.captured',
  'charge.failed',
  'charge.pending',
  'charge.refunded',
]);

/**
 * Settles from their own events the customers whose queued work is charge events only, without reading Stripe: a
 * charge only moves one way (status leaves `pending` once, an authorization is captured once, captured and refunded
 * amounts only grow), so merging each payload into the mirror's charge, whatever the delivery order or duplication,
 * gives the charge's furthest state — its current state once its last event is in. The convergence rule holds: the
 * mirror row is no older than any event seen.
 *
 * Left to a full re-read (returned false): a customer the mirror does not hold, an item whose work is not all charge
 * events (a reconcile's own entry has no stored event), and a customer whose latest charge cannot be told from
 * payloads (two charges created in the same second: only Stripe's list order says which is latest).
 *
 * Returns the customers settled.
 */
export async function settleChargeOnlyCustomers(
  pool: Pool,
  installId: string,
  items: WorkItem[],
  batchEvents: BatchEvents,
): Promise<Set<string>> {
  const candidates = items.filter((item) => item.refresh && item.eventIds.length > 0);
  if (candidates.length === 0) return new Set();
  const events = new Map(
    (await batchEvents.of(candidates.flatMap((item) => item.eventIds))).map((event) => [event.eventId, event]),
  );
  const chargesByCustomer = new Map<string, Stripe.Charge[]>();
  for (const item of candidates) {
    const charges = item.eventIds.map((eventId) => chargeOfEvent(events.get(eventId), item.customerId));
    if (charges.every((charge) => charge !== null)) chargesByCustomer.set(item.customerId, charges);
  }
  if (chargesByCustomer.size === 0) return new Set();
  const latestCharges = await mirroredLatestCharges(pool, installId, [...chargesByCustomer.keys()]);
  const settled = new Set<string>();
  const merged = new Map<string, Stripe.Charge>();
  const latestRows: { customerId: string; charge: LatestCharge; observedAt: Date }[] = [];
  // Our clock, as for list reads: a read begun before this merge (an import page) can no longer overwrite it.
  const observedAt = new Date();
  for (const [customerId, charges] of chargesByCustomer) {
    const mirrored = latestCharges.get(customerId);
    if (mirrored === undefined) continue;
    const latest = latestChargeOf(mirrored, charges);
    if (latest === 'ambiguous') continue;
    for (const charge of charges) merged.set(charge.id, furthest(merged.get(charge.id), charge));
    if (latest) latestRows.push({ customerId, charge: latest, observedAt });
    settled.add(customerId);
  }
  await upsertCharges(pool, installId, [...merged.values()], observedAt, { monotonic: true });
  await upsertLatestCharges(pool, installId, latestRows);
  return settled;
}

/** One charge's furthest state over two observations of it (the merge the mirror's monotonic upsert makes). */
function furthest(known: Stripe.Charge | undefined, seen: Stripe.Charge): Stripe.Charge {
  if (!known) return seen;
  return {
    ...seen,
    status: seen.status === 'pending' ? known.status : seen.status,
    captured: known.captured || seen.captured,
    amount_captured: Math.max(known.amount_captured, seen.amount_captured),
    amount_refunded: Math.max(known.amount_refunded, seen.amount_refunded),
  };
}

/** The charge an event carries, when the event is a charge event about this customer. */
function chargeOfEvent(event: RecordedEvent | undefined, customerId: string): Stripe.Charge | null {
  if (!event || !CHARGE_EVENT_TYPES.has(event.type)) return null;
  const charge = event.payload.data.object as Stripe.Charge;
  const owner = referencedId(charge.customer);
  if (charge.object !== 'charge' || owner !== customerId || !isWellFormed(charge)) return null;
  return charge;
}

/**
 * A payload that lacks what the mirror and the mapping need (a signed event can still carry a malformed charge) is
 * left to a re-read from Stripe, whose own charge is then mapped; the event itself fails its customer visibly.
 */
function isWellFormed(charge: Stripe.Charge): boolean {
  return (
    typeof charge.id === 'string' &&
    typeof charge.currency === 'string' &&
    charge.currency.length > 0 &&
    typeof charge.status === 'string' &&
    typeof charge.captured === 'boolean' &&
    [charge.amount, charge.amount_captured, charge.amount_refunded, charge.created].every(Number.isSafeInteger)
  );
}

const settledStatus = (status: Stripe.Charge.Status) => status !== 'pending';

/**
 * The customer's latest charge after these payloads: the newest by creation, its status the furthest seen. Null when
 * there is none; 'ambiguous' when two charges share the newest creation second.
 */
function latestChargeOf(mirrored: LatestCharge | null, charges: Stripe.Charge[]): LatestCharge | null | 'ambiguous' {
  const seen = new Map<string, LatestCharge>();
  for (const candidate of [
    ...(mirrored ? [mirrored] : []),
    ...charges.map((charge) => ({ id: charge.id, status: charge.status, created: charge.created })),
  ]) {
    const known = seen.get(candidate.id);
    seen.set(candidate.id, known && settledStatus(known.status) ? known : candidate);
  }
  const newestCreated = Math.max(...[...seen.values()].map((charge) => charge.created));
  const newest = [...seen.values()].filter((charge) => charge.created === newestCreated);
  if (newest.length > 1) return 'ambiguous';
  return newest[0] ?? null;
}
