import type Stripe from 'stripe';
import type { ChargeHistory } from './customer-attributes';

/** What a charge took from the customer and what it gave back, in minor units of its currency. */
export interface ChargeMoney {
  taken: number;
  returned: number;
}

type ChargeAmounts = Pick<Stripe.Charge, 'amount' | 'amount_captured' | 'amount_refunded' | 'captured'>;

/**
 * Money a charge moved, by Stripe's charge semantics (https://docs.stripe.com/api/charges/object):
 * - `captured: false` is an authorization (a hold, https://docs.stripe.com/payments/place-a-hold-on-a-payment-method):
 *   nothing was taken, although its `status` is already `succeeded`. An authorization that expires is "marked as
 *   refunded" (https://docs.stripe.com/api/charges/capture) without ever taking money.
 * - Captured: `amount_captured` was taken ("can be less than the amount attribute on the charge if a partial capture
 *   was made"). Capturing less releases the rest of the authorization, and Stripe counts the released part in
 *   `amount_refunded` ("the remaining amount_capturable will automatically be refunded",
 *   https://docs.stripe.com/api/payment_intents/cancel), so what went back to the customer is `amount_refunded` less
 *   the released `amount − amount_captured`. Authorized 100.00, captured 60.00: taken 60, returned 0, not 60 − 40.
 */
export function chargeMoney(charge: ChargeAmounts): ChargeMoney {
  if (!charge.captured) return { taken: 0, returned: 0 };
  const released = Math.max(0, charge.amount - charge.amount_captured);
  return { taken: charge.amount_captured, returned: Math.max(0, charge.amount_refunded - released) };
}

/** A charge that took money: succeeded and captured (an uncaptured authorization is not a payment yet). */
export function tookMoney(charge: Pick<Stripe.Charge, 'status'> & ChargeAmounts): boolean {
  return charge.status === 'succeeded' && chargeMoney(charge).taken > 0;
}

/**
 * What a customer's charges add up to, from the charges themselves (reconcile reads them from Stripe). The mirror
 * computes the same in SQL over `stripe_charges` (db/mirror.ts), whose amounts are `chargeMoney`'s: latest charge
 * that took money by `created`, then id; taken minus returned per currency.
 */
export function chargeHistory(charges: ReadonlyArray<Stripe.Charge>): ChargeHistory {
  const paid = charges.filter(tookMoney);
  const latest = paid.reduce<Stripe.Charge | null>(
    (best, charge) =>
      !best || charge.created > best.created || (charge.created === best.created && charge.id > best.id)
        ? charge
        : best,
    null,
  );
  const netByCurrency: Record<string, number> = {};
  for (const charge of paid) {
    const currency = charge.currency.toLowerCase();
    const { taken, returned } = chargeMoney(charge);
    netByCurrency[currency] = (netByCurrency[currency] ?? 0) + taken - returned;
  }
  return {
    lastSucceeded: latest
      ? { amount: latest.amount_captured, currency: latest.currency.toLowerCase(), created: latest.created }
      : null,
    netByCurrency,
  };
}
