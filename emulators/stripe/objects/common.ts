import type Stripe from 'stripe';

/**
 * Stripe sends `*_decimal` fields as strings; stripe-node turns them into its Decimal class on receipt.
 * Stored objects keep the wire form, so the cast only satisfies the SDK's response type.
 */
export function decimalString(value: number): Stripe.Decimal {
  return String(value) as unknown as Stripe.Decimal;
}
