import type Stripe from 'stripe';

export interface CardSummary {
  brand: string;
  expMonth: number;
  expYear: number;
}

/**
 * The card the customer pays invoices with: `invoice_settings.default_payment_method` when it is a card, else the
 * legacy `default_source` when that is a card. Null when there is none; undefined when it cannot be told because
 * the deciding object was not expanded (the caller leaves the Intercom values as they are).
 */
export function defaultCard(customer: Stripe.Customer): CardSummary | null | undefined {
  const paymentMethod = customer.invoice_settings?.default_payment_method ?? null;
  if (typeof paymentMethod === 'string') return undefined;
  if (paymentMethod?.type === 'card' && paymentMethod.card) {
    const { brand, exp_month: expMonth, exp_year: expYear } = paymentMethod.card;
    return { brand, expMonth, expYear };
  }
  return cardFromSource(customer.default_source);
}

function cardFromSource(source: string | Stripe.CustomerSource | null): CardSummary | null | undefined {
  if (source == null) return null;
  if (typeof source === 'string') return undefined;
  if (source.object === 'card') return { brand: source.brand, expMonth: source.exp_month, expYear: source.exp_year };
  if (source.object === 'source' && source.type === 'card' && source.card) {
    const { brand, exp_month: expMonth, exp_year: expYear } = source.card;
    if (brand && expMonth && expYear) return { brand, expMonth, expYear };
  }
  return null;
}

/** Cards are valid through the last day of their expiry month: the last second of that month, UTC, unix seconds. */
export function cardExpiresAt(expMonth: number, expYear: number): number {
  // Date.UTC takes a 0-based month, so `expMonth` (1-based) is the first day of the following month; it rolls
  // December over into January of the next year.
  return Date.UTC(expYear, expMonth, 1) / 1000 - 1;
}
