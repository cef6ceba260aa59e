import type Stripe from 'stripe';
import { buildCoupon, buildPrice, buildProduct, buildTiers } from '../objects/catalog';
import { type AdminContext, assertNewId, emitIf, locate } from './context';
import {
  createCouponInput,
  createPriceInput,
  createProductInput,
  deleteInput,
  type CreateCouponInput,
  type DeleteInput,
  type CreatePriceInput,
  type CreateProductInput,
} from './schemas';

export function createProduct(context: AdminContext, raw: CreateProductInput): Stripe.Product {
  const input = createProductInput.parse(raw);
  const data = context.datasets[input.mode];
  assertNewId(context, input.id);
  const id = input.id ?? context.ids.next('prod', 14);
  const product = buildProduct({
    ...input,
    id,
    created: input.created ?? context.clock.now(),
    livemode: data.livemode,
  });
  data.products.insert(product);
  emitIf(context, input.emitEvents, data, 'product.created', product);
  return structuredClone(product);
}

/** In the product's mode; recurring (`interval` given) or one-time; per-unit or tiered (tiers shown only when expanded). */
export function createPrice(context: AdminContext, raw: CreatePriceInput): Stripe.Price {
  const input = createPriceInput.parse(raw);
  const { data } = locate(context, 'product', input.product, (set) => set.products.get(input.product));
  assertNewId(context, input.id);
  const id = input.id ?? context.ids.next('price');
  const price = buildPrice({
    ...input,
    id,
    created: input.created ?? context.clock.now(),
    livemode: data.livemode,
    recurring: input.interval
      ? { interval: input.interval, intervalCount: input.intervalCount, usageType: input.usageType }
      : undefined,
  });
  data.prices.insert(price);
  if (input.tiers !== undefined) data.priceTiers.set(id, buildTiers(input.tiers));
  emitIf(context, input.emitEvents, data, 'price.created', price);
  return structuredClone(price);
}

export function createCoupon(context: AdminContext, raw: CreateCouponInput): Stripe.Coupon {
  const input = createCouponInput.parse(raw);
  const data = context.datasets[input.mode];
  assertNewId(context, input.id);
  const id = input.id ?? context.random.token(8);
  const coupon = buildCoupon({ ...input, id, created: input.created ?? context.clock.now(), livemode: data.livemode });
  data.coupons.insert(coupon);
  emitIf(context, input.emitEvents, data, 'coupon.created', coupon);
  return structuredClone(coupon);
}

/**
 * Deletes a coupon: new redemptions are refused, but "deleting a coupon does not affect any customers who have
 * already applied the coupon" (https://docs.stripe.com/api/coupons/delete). Emits `coupon.deleted`.
 */
export function deleteCoupon(context: AdminContext, id: string, raw?: DeleteInput): Stripe.DeletedCoupon {
  const input = deleteInput.parse(raw);
  const { data, value: coupon } = locate(context, 'coupon', id, (set) => set.coupons.get(id));
  data.coupons.remove(id);
  const deleted = { ...coupon, valid: false };
  data.deletedCoupons.set(id, deleted);
  emitIf(context, input.emitEvents, data, 'coupon.deleted', deleted);
  return { id, object: 'coupon', deleted: true };
}
