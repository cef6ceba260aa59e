import type Stripe from 'stripe';
import type { ChargeHistory } from './customer-attributes';

/**
 * What a customer's charges add up to, from the charges themselves (reconcile reads them from Stripe). The mirror
 * computes the same in SQL over `stripe_charges` (db/mirror.ts): latest succeeded charge by `created`, then id;
 * captured minus refunded per currency of the succeeded ones.
 */
export function chargeHistory(charges: ReadonlyArray<Stripe.Charge>): ChargeHistory {
  const succeeded = charges.filter((charge) => charge.status === 'succeeded');
  const latest = succeeded.reduce<Stripe.Charge | null>(
    (best, charge) =>
      !best || charge.created > best.created || (charge.created === best.created && charge.id > best.id)
        ? charge
        : best,
    null,
  );
  const netByCurrency: Record<string, number> = {};
  for (const charge of succeeded) {
    const currency = charge.currency.toLowerCase();
    netByCurrency[currency] = (netByCurrency[currency] ?? 0) + charge.amount_captured - charge.amount_refunded;
  }
  return {
    lastSucceeded: latest
      ? { amount: latest.amount_captured, currency: latest.currency.toLowerCase(), created: latest.created }
      : null,
    netByCurrency,
  };
}
