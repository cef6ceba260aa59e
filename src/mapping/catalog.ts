import type Stripe from 'stripe';

/**
 * Objects a customer list cannot bring along, supplied by the caller (from the Stripe mirror):
 * - product names and price tiers: `data.subscriptions.data.items.data.price.product` is past Stripe's 4-level
 *   expansion limit, and `tiers` is only returned when expanded;
 * - coupons: since API 2025-09-30.clover a Discount holds `source.coupon` as an id, not auto-expanded (also in
 *   webhook payloads).
 */
export interface Catalog {
  product(id: string): { name: string } | undefined;
  price(id: string): Stripe.Price | undefined;
  coupon(id: string): Stripe.Coupon | undefined;
}

export const EMPTY_CATALOG: Catalog = {
  product: () => undefined,
  price: () => undefined,
  coupon: () => undefined,
};

export function catalogFromLists(
  products: ReadonlyArray<{ id: string; name: string }>,
  prices: ReadonlyArray<Stripe.Price>,
  coupons: ReadonlyArray<Stripe.Coupon> = [],
): Catalog {
  const productsById = new Map(products.map((product) => [product.id, { name: product.name }]));
  const pricesById = new Map(prices.map((price) => [price.id, price]));
  const couponsById = new Map(coupons.map((coupon) => [coupon.id, coupon]));
  return {
    product: (id) => productsById.get(id),
    price: (id) => pricesById.get(id),
    coupon: (id) => couponsById.get(id),
  };
}

/** The price with its tiers, taken from the catalog when the embedded copy came without them. */
export function priceWithTiers(price: Stripe.Price, catalog: Catalog): Stripe.Price {
  if (price.billing_scheme !== 'tiered' || price.tiers !== undefined) return price;
  const tiers = catalog.price(price.id)?.tiers;
  return tiers === undefined ? price : { ...price, tiers };
}

export function productNameOf(price: Stripe.Price, catalog: Catalog): string | null {
  const product = price.product;
  if (typeof product === 'string') return catalog.product(product)?.name ?? null;
  if (product.deleted) return catalog.product(product.id)?.name ?? null;
  return product.name;
}

export function couponOf(discount: Stripe.Discount, catalog: Catalog): Stripe.Coupon | undefined {
  // Payloads rendered for an API version before 2025-09-30 carry the expanded coupon on the discount itself.
  const coupon = discount.source?.coupon ?? (discount as { coupon?: Stripe.Coupon | null }).coupon;
  if (coupon == null) return undefined;
  const resolved = typeof coupon === 'string' ? catalog.coupon(coupon) : coupon;
  // A coupon deleted in Stripe is mirrored as `{id, deleted: true}` so it is not fetched again: its terms are gone.
  return resolved && !(resolved as { deleted?: boolean }).deleted ? resolved : undefined;
}

export interface CatalogReferences {
  productIds: string[];
  priceIds: string[];
  couponIds: string[];
}

/**
 * Ids the catalog must hold to map these subscriptions faithfully, so a caller can load exactly those (or fetch the
 * missing ones from Stripe) before mapping.
 */
export function catalogReferences(
  subscriptions: ReadonlyArray<Stripe.Subscription>,
  customerDiscount?: Stripe.Discount | null,
): CatalogReferences {
  const productIds = new Set<string>();
  const priceIds = new Set<string>();
  const couponIds = new Set<string>();
  const noteDiscount = (discount: string | Stripe.Discount): void => {
    if (typeof discount === 'string') return;
    const coupon = discount.source?.coupon;
    if (typeof coupon === 'string') couponIds.add(coupon);
  };
  for (const subscription of subscriptions) {
    subscription.discounts.forEach(noteDiscount);
    for (const item of subscription.items.data) {
      item.discounts.forEach(noteDiscount);
      const price = item.price;
      if (typeof price.product === 'string') productIds.add(price.product);
      if (price.billing_scheme === 'tiered' && price.tiers === undefined) priceIds.add(price.id);
    }
  }
  if (customerDiscount) noteDiscount(customerDiscount);
  return { productIds: [...productIds].sort(), priceIds: [...priceIds].sort(), couponIds: [...couponIds].sort() };
}
