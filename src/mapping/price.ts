import type Stripe from 'stripe';
import { priceWithTiers, type Catalog } from './catalog';

/**
 * Stripe decimal fields (`unit_amount_decimal`, …) arrive as `Stripe.Decimal` objects from SDK calls but as plain
 * strings in webhook payloads and mirrored JSON; both stringify to the decimal literal.
 */
export function decimalToNumber(value: Stripe.Decimal | string | number | null | undefined): number | null {
  if (value == null) return null;
  const parsed = Number(String(value));
  return Number.isFinite(parsed) ? parsed : null;
}

export function isMetered(price: Stripe.Price): boolean {
  return price.recurring?.usage_type === 'metered';
}

/** Quantity after `transform_quantity` (e.g. "per 10 seats, rounded up"), which Stripe applies before pricing. */
export function billedQuantity(price: Stripe.Price, quantity: number): number {
  const transform = price.transform_quantity;
  if (!transform || transform.divide_by <= 0) return quantity;
  const divided = quantity / transform.divide_by;
  return transform.round === 'up' ? Math.ceil(divided) : Math.floor(divided);
}

/**
 * Amount billed per period for `quantity` units, in minor units (may be fractional with decimal prices), before
 * discounts and tax. Null when it cannot be known: tiers missing from both the price and the catalog, or no amount.
 */
export function priceAmountForQuantity(price: Stripe.Price, quantity: number): number | null {
  if (price.billing_scheme === 'tiered') return tieredAmount(price, quantity);
  const unitAmount = decimalToNumber(price.unit_amount_decimal) ?? price.unit_amount;
  if (unitAmount == null) return null;
  return unitAmount * billedQuantity(price, quantity);
}

/** What one subscription item bills per period before discounts; null for metered usage or an unknown amount. */
export function itemAmountPerPeriod(item: Stripe.SubscriptionItem, catalog: Catalog): number | null {
  const price = priceWithTiers(item.price, catalog);
  if (isMetered(price)) return null;
  return priceAmountForQuantity(price, item.quantity ?? 1);
}

function tieredAmount(price: Stripe.Price, quantity: number): number | null {
  const tiers = price.tiers;
  if (!tiers || tiers.length === 0) return null;
  const ordered = [...tiers].sort((a, b) => (a.up_to ?? Infinity) - (b.up_to ?? Infinity));
  return price.tiers_mode === 'volume' ? volumeAmount(ordered, quantity) : graduatedAmount(ordered, quantity);
}

/**
 * Graduated: each tier prices the units that fall inside it, plus its flat amount once reached. The first tier is
 * always reached, so its flat amount works as a base fee even at quantity 0 (Stripe's "flat fee and overages").
 */
function graduatedAmount(tiers: ReadonlyArray<Stripe.Price.Tier>, quantity: number): number {
  let total = 0;
  let lowerBound = 0;
  for (const [index, tier] of tiers.entries()) {
    if (index > 0 && quantity <= lowerBound) break;
    const upperBound = tier.up_to ?? Infinity;
    const unitsInTier = Math.max(0, Math.min(quantity, upperBound) - lowerBound);
    total += unitsInTier * tierUnitAmount(tier) + tierFlatAmount(tier);
    lowerBound = upperBound;
  }
  return total;
}

/** Volume: the single tier containing the quantity prices every unit, plus that tier's flat amount. */
function volumeAmount(tiers: ReadonlyArray<Stripe.Price.Tier>, quantity: number): number {
  const tier = tiers.find((candidate) => quantity <= (candidate.up_to ?? Infinity)) ?? tiers[tiers.length - 1];
  if (!tier) return 0;
  return quantity * tierUnitAmount(tier) + tierFlatAmount(tier);
}

function tierUnitAmount(tier: Stripe.Price.Tier): number {
  return decimalToNumber(tier.unit_amount_decimal) ?? tier.unit_amount ?? 0;
}

function tierFlatAmount(tier: Stripe.Price.Tier): number {
  return decimalToNumber(tier.flat_amount_decimal) ?? tier.flat_amount ?? 0;
}
