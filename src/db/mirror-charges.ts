import type Stripe from 'stripe';
import { chargeMoney, referencedId } from '../mapping';
import type { Queryable } from './queryable';

/**
 * Writes charges (those with a customer) as observed: refunds change a charge, so a later observation wins.
 * `amount_captured` and `amount_refunded` hold what the charge took and gave back (`chargeMoney`), not Stripe's raw
 * fields: an uncaptured authorization took nothing, and the part of an authorization released by a partial capture,
 * which Stripe counts as refunded, was never taken.
 *
 * `monotonic`: the charges come from event payloads, which arrive in any order. A charge only moves one way (its
 * status leaves `pending` once; captured and refunded amounts only grow), so each field keeps the furthest state
 * seen, and the row counts as observed now (our clock, never the event's): a list read begun earlier (an import page)
 * cannot overwrite it afterwards.
 */
export async function upsertCharges(
  db: Queryable,
  installId: string,
  charges: Stripe.Charge[],
  observedAt: Date,
  options: { monotonic?: boolean } = {},
): Promise<void> {
  const rows = charges.flatMap((charge) => {
    const customerId = referencedId(charge.customer);
    if (!customerId) return [];
    const { id, status, currency, created } = charge;
    const { taken: captured, returned: refunded } = chargeMoney(charge);
    return [{ id, customer_id: customerId, status, currency, captured, refunded, created }];
  });
  if (rows.length === 0) return;
  await db.query(
    `INSERT INTO stripe_charges
       (install_id, charge_id, customer_id, status, currency, amount_captured, amount_refunded, created, observed_at)
     SELECT $1, r.id, r.customer_id, r.status, lower(r.currency), r.captured, r.refunded, r.created, $3
     FROM jsonb_to_recordset($2::jsonb)
       AS r(id text, customer_id text, status text, currency text, captured bigint, refunded bigint, created bigint)
     ORDER BY r.id
     ON CONFLICT (install_id, charge_id) DO UPDATE
       SET status = CASE WHEN $4 AND EXCLUDED.status = 'pending' THEN stripe_charges.status ELSE EXCLUDED.status END,
           amount_captured = CASE WHEN $4 THEN GREATEST(stripe_charges.amount_captured, EXCLUDED.amount_captured)
                                  ELSE EXCLUDED.amount_captured END,
           amount_refunded = CASE WHEN $4 THEN GREATEST(stripe_charges.amount_refunded, EXCLUDED.amount_refunded)
                                  ELSE EXCLUDED.amount_refunded END,
           observed_at = GREATEST(stripe_charges.observed_at, EXCLUDED.observed_at)
       WHERE $4 OR stripe_charges.observed_at <= EXCLUDED.observed_at`,
    [installId, JSON.stringify(rows), observedAt.toISOString(), options.monotonic ?? false],
  );
}
