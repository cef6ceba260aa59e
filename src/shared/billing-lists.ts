/** The lists an import reads before any customer: everything a customer's attributes are computed from. */
export const BILLING_LISTS = ['products', 'prices', 'coupons', 'subscriptions', 'charges'] as const;
export type BillingListKind = (typeof BILLING_LISTS)[number];
export type ImportPageKind = BillingListKind | 'customers';

/** A bound on `created` (unix seconds); either end may be open. */
export interface CreatedRange {
  gte: number | null;
  lt: number | null;
}
