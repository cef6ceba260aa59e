import type Stripe from 'stripe';

/**
 * Stripe sends `*_decimal` fields as strings; stripe-node turns them into its Decimal class on receipt.
 * Stored objects keep the wire form, so the cast only satisfies the SDK's response type.
 */
export function decimalString(value: number): Stripe.Decimal {
  return String(value) as unknown as Stripe.Decimal;
}

/** Zero-decimal currencies (amounts are in whole units): JPY, KRW and the rest of Stripe's list. */
export const zeroDecimalCurrencies: ReadonlySet<string> = new Set([
  'bif',
  'clp',
  'djf',
  'gnf',
  'jpy',
  'kmf',
  'krw',
  'mga',
  'pyg',
  'rwf',
  'ugx',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
]);
