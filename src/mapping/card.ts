import type Stripe from 'stripe';

export interface CardSummary {
  /** Stripe's payment-method brand code (`visa`, `mastercard`, `amex`, …). */
  brand: string;
  expMonth: number;
  expYear: number;
}

/** The method that pays (`payingMethod` says which one): its type, and the card when it is one. */
export interface PayingMethod {
  /** PaymentMethod `type` (`card`, `sepa_debit`, `us_bank_account`, `link`, …); legacy sources map to the same. */
  type: string;
  card: CardSummary | null;
}

type MethodReference = string | Stripe.PaymentMethod | Stripe.CustomerSource | null | undefined;

/**
 * The method that pays, in Stripe's own order of precedence for subscription invoices: the subscription's
 * `default_payment_method` (Stripe Checkout puts the card there), its `default_source`, the customer's
 * `invoice_settings.default_payment_method`, the customer's `default_source`
 * (https://docs.stripe.com/api/subscriptions/object#subscription_object-default_payment_method).
 * Null when there is none; undefined when the deciding reference was not expanded (the Intercom values stay).
 */
export function payingMethod(
  customer: Stripe.Customer,
  subscription: Stripe.Subscription | null,
): PayingMethod | null | undefined {
  const candidates: MethodReference[] = [
    subscription?.default_payment_method,
    subscription?.default_source,
    customer.invoice_settings?.default_payment_method,
    customer.default_source,
  ];
  const reference = candidates.find((candidate) => candidate != null);
  if (reference == null) return null;
  if (typeof reference === 'string') return undefined;
  return describeMethod(reference);
}

function describeMethod(method: Stripe.PaymentMethod | Stripe.CustomerSource): PayingMethod {
  switch (method.object) {
    case 'payment_method':
      return { type: method.type, card: method.type === 'card' && method.card ? cardSummary(method.card) : null };
    case 'card':
      return { type: 'card', card: cardSummary(method) };
    case 'source': {
      const card = method.type === 'card' ? method.card : null;
      const complete = card?.brand && card.exp_month && card.exp_year;
      return {
        type: method.type,
        card: complete
          ? {
              brand: brandCode(card.brand as string),
              expMonth: card.exp_month as number,
              expYear: card.exp_year as number,
            }
          : null,
      };
    }
    case 'bank_account':
      // A legacy ACH bank account source; its PaymentMethod counterpart is `us_bank_account`.
      return { type: 'us_bank_account', card: null };
    default:
      return { type: method.object, card: null };
  }
}

function cardSummary(card: { brand: string; exp_month: number; exp_year: number }): CardSummary {
  return { brand: brandCode(card.brand), expMonth: card.exp_month, expYear: card.exp_year };
}

/**
 * Legacy Card objects spell brands for display ("Visa", "MasterCard", "American Express",
 * https://docs.stripe.com/api/cards/object#card_object-brand); PaymentMethods use codes ("visa", "mastercard", "amex",
 * https://docs.stripe.com/api/payment_methods/object#payment_method_object-card-brand). Intercom gets the codes.
 */
const LEGACY_BRAND_CODES: Readonly<Record<string, string>> = {
  'american express': 'amex',
  'diners club': 'diners',
  discover: 'discover',
  'eftpos australia': 'eftpos_au',
  girocard: 'girocard',
  jcb: 'jcb',
  mastercard: 'mastercard',
  unionpay: 'unionpay',
  visa: 'visa',
  unknown: 'unknown',
};

export function brandCode(brand: string): string {
  const lower = brand.trim().toLowerCase();
  return LEGACY_BRAND_CODES[lower] ?? lower.replace(/\s+/g, '_');
}

/** Cards are valid through the last day of their expiry month: the last second of that month, UTC, unix seconds. */
export function cardExpiresAt(expMonth: number, expYear: number): number {
  // Date.UTC takes a 0-based month, so `expMonth` (1-based) is the first day of the following month; it rolls
  // December over into January of the next year.
  return Date.UTC(expYear, expMonth, 1) / 1000 - 1;
}
