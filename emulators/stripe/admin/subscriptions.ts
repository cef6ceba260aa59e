import type Stripe from 'stripe';
import { type DataSet } from '../dataset';
import { invalidRequest, resourceMissing } from '../errors';
import { buildDiscount } from '../objects/discount';
import { buildSubscription, buildSubscriptionItem } from '../objects/subscription';
import { couponAmount, itemAmount } from './amounts';
import { announceInvoice, issueInvoice, type InvoiceRequest } from './billing';
import { type AdminContext, emitIf, locate, locateCustomer, updateAndEmit } from './context';
import {
  cancelSubscriptionInput,
  createSubscriptionInput,
  updateSubscriptionInput,
  type CancelSubscriptionInput,
  type CreateSubscriptionInput,
  type UpdateSubscriptionInput,
} from './schemas';

const day = 86_400;

function findPrice(data: DataSet, id: string): Stripe.Price {
  const price = data.prices.get(id);
  if (price === undefined) throw resourceMissing('price', id, 'items');
  if (price.recurring === null) throw invalidRequest(`The price ${id} is not recurring.`, 'items');
  return price;
}

function findCoupon(data: DataSet, id: string): Stripe.Coupon {
  const coupon = data.coupons.get(id);
  if (coupon === undefined) throw resourceMissing('coupon', id, 'coupon');
  return coupon;
}

/**
 * Applies a coupon as a subscription discount unless it is already used up: a `once` coupon covers only
 * the invoice after redemption and a `repeating` one ends after its months; Stripe then drops the discount.
 */
function attachDiscount(
  context: AdminContext,
  data: DataSet,
  subscription: Stripe.Subscription,
  couponId: string,
  start: number,
  firstInvoiceBehind: boolean,
): void {
  const coupon = findCoupon(data, couponId);
  const discount = buildDiscount({
    id: context.ids.next('di'),
    customer: subscription.customer as string,
    subscription: subscription.id,
    coupon,
    start,
  });
  if (coupon.duration === 'once' && firstInvoiceBehind) return;
  if (discount.end !== null && discount.end <= context.clock.now()) return;
  data.discounts.set(discount.id, discount);
  subscription.discounts = [discount.id];
}

/** A discount on one item (`items[].discounts`): it reduces that item's line only. */
function attachItemDiscount(
  context: AdminContext,
  data: DataSet,
  subscription: Stripe.Subscription,
  item: Stripe.SubscriptionItem,
  couponId: string,
  start: number,
): void {
  const discount = buildDiscount({
    id: context.ids.next('di'),
    customer: subscription.customer as string,
    subscription: subscription.id,
    subscriptionItem: item.id,
    coupon: findCoupon(data, couponId),
    start,
  });
  data.discounts.set(discount.id, discount);
  item.discounts = [discount.id];
}

/** A payment method attached to this customer, for `default_payment_method`. */
function findCustomerPaymentMethod(data: DataSet, customerId: string, id: string): Stripe.PaymentMethod {
  const method = data.paymentMethods.get(id);
  if (method === undefined || method.customer !== customerId) {
    throw resourceMissing('payment_method', id, 'default_payment_method');
  }
  return method;
}

/** The coupon of a discount, deleted or not (a deleted coupon keeps discounting). */
function couponOfDiscount(data: DataSet, discountId: string): Stripe.Coupon | undefined {
  const couponId = data.discounts.get(discountId)?.source.coupon as string | undefined;
  return couponId === undefined ? undefined : (data.coupons.get(couponId) ?? data.deletedCoupons.get(couponId));
}

function removeDiscounts(data: DataSet, subscription: Stripe.Subscription): void {
  for (const id of subscription.discounts) data.discounts.delete(id as string);
  subscription.discounts = [];
}

/** The invoice for the subscription's current period, shaped by its status (trial, paid, failed, …). */
function currentInvoice(
  data: DataSet,
  customer: Stripe.Customer,
  subscription: Stripe.Subscription,
  failedAttempts: number | undefined,
): InvoiceRequest {
  const trialing = subscription.status === 'trialing';
  const lines = subscription.items.data.map((item) => {
    const quantity = item.quantity ?? 0;
    const product = data.products.get(item.price.product as string);
    return {
      description: `${quantity} × ${item.price.nickname ?? product?.name ?? item.price.id}${trialing ? ' (trial)' : ''}`,
      amount: trialing ? 0 : itemAmount(item.price, quantity, data.priceTiers.get(item.price.id)),
      quantity: item.quantity ?? null,
      price: item.price,
      period: { start: item.current_period_start, end: item.current_period_end },
      subscriptionItem: item.id,
    };
  });
  const subtotal = lines.reduce((sum, line) => sum + line.amount, 0);
  const itemDiscounts = subscription.items.data.flatMap((item, index) =>
    item.discounts.flatMap((id) => {
      const coupon = couponOfDiscount(data, id as string);
      const amount = lines[index]?.amount ?? 0;
      return coupon ? [{ id: id as string, amount: couponAmount(coupon, amount, subscription.currency) }] : [];
    }),
  );
  const afterItems = subtotal - itemDiscounts.reduce((sum, discount) => sum + discount.amount, 0);
  const discounts = [
    ...itemDiscounts,
    ...subscription.discounts.flatMap((id) => {
      const coupon = couponOfDiscount(data, id as string);
      return coupon ? [{ id: id as string, amount: couponAmount(coupon, afterItems, subscription.currency) }] : [];
    }),
  ];
  const periodStart = subscription.items.data[0]?.current_period_start ?? subscription.created;
  const outcomes: Partial<Record<Stripe.Subscription.Status, InvoiceRequest['outcome']>> = {
    past_due: 'failed',
    unpaid: 'failed',
    incomplete: 'failed',
    incomplete_expired: 'void',
  };
  return {
    customer,
    subscription: subscription.id,
    currency: subscription.currency,
    created: trialing ? subscription.created : Math.max(subscription.created, periodStart),
    billingReason:
      periodStart <= subscription.billing_cycle_anchor || trialing ? 'subscription_create' : 'subscription_cycle',
    lines,
    discounts,
    outcome: outcomes[subscription.status] ?? 'paid',
    attemptCount: failedAttempts ?? (subscription.status === 'unpaid' ? 4 : 1),
  };
}

export function createSubscription(context: AdminContext, raw: CreateSubscriptionInput): Stripe.Subscription {
  const input = createSubscriptionInput.parse(raw);
  const { data, value: customer } = locateCustomer(context, input.customer);
  const now = context.clock.now();
  const created = input.created ?? now;
  const prices = input.items.map((item) => findPrice(data, item.price));
  if (new Set(prices.map((price) => price.currency)).size > 1) {
    throw invalidRequest('All prices on a subscription must have the same currency.', 'items');
  }
  const requestedTrialEnd = input.trialEnd ?? (input.trialDays ? created + input.trialDays * day : undefined);
  const status = input.status ?? (requestedTrialEnd !== undefined && requestedTrialEnd > now ? 'trialing' : 'active');
  const trialEnd = status === 'trialing' ? (requestedTrialEnd ?? created + 14 * day) : requestedTrialEnd;
  const ended = status === 'canceled' || status === 'incomplete_expired' ? (input.canceledAt ?? now) : null;
  const subscription = buildSubscription(
    {
      id: context.ids.next('sub'),
      created,
      livemode: data.livemode,
      customer: customer.id,
      items: input.items.map((item, index) => ({
        id: context.ids.next('si', 14),
        created,
        price: prices[index] as Stripe.Price,
        quantity: item.quantity,
      })),
      status,
      trialStart: trialEnd === undefined ? null : created,
      trialEnd: trialEnd ?? null,
      cancelAtPeriodEnd: input.cancelAtPeriodEnd,
      canceledAt: ended ?? (input.cancelAtPeriodEnd ? now : null),
      endedAt: ended,
      metadata: input.metadata,
    },
    now,
  );
  if (input.cancelAtPeriodEnd) subscription.cancel_at = subscription.items.data[0]?.current_period_end ?? null;
  if (input.cancelAt !== undefined && ended === null) {
    subscription.cancel_at = input.cancelAt;
    subscription.canceled_at = now;
  }
  if (input.pauseCollection !== undefined) subscription.pause_collection = pauseCollectionOf(input.pauseCollection);
  if (input.defaultPaymentMethod !== undefined) {
    subscription.default_payment_method = findCustomerPaymentMethod(data, customer.id, input.defaultPaymentMethod).id;
  }
  input.items.forEach((requested, index) => {
    const item = subscription.items.data[index];
    if (requested.coupon !== undefined && item) {
      attachItemDiscount(context, data, subscription, item, requested.coupon, created);
    }
  });
  if (input.coupon !== undefined) {
    const firstPeriodOver =
      (subscription.items.data[0]?.current_period_start ?? created) > subscription.billing_cycle_anchor;
    attachDiscount(context, data, subscription, input.coupon, created, firstPeriodOver);
  }

  const issued = issueInvoice(context, data, currentInvoice(data, customer, subscription, input.failedAttempts));
  subscription.latest_invoice = issued.invoice.id;
  data.putSubscription(subscription);
  // Stripe fixes a customer's currency with its first subscription.
  customer.currency ??= subscription.currency;
  emitIf(context, input.emitEvents, data, 'customer.subscription.created', subscription);
  announceInvoice(context, input.emitEvents, data, issued, customer);
  return structuredClone(subscription);
}

function refreshItems(subscription: Stripe.Subscription, now: number): void {
  subscription.items.data = subscription.items.data.map((item) =>
    buildSubscriptionItem(
      subscription,
      {
        id: item.id,
        created: item.created,
        price: item.price,
        quantity: item.quantity,
        discounts: item.discounts as string[],
      },
      now,
    ),
  );
}

export function updateSubscription(
  context: AdminContext,
  id: string,
  raw: UpdateSubscriptionInput,
): Stripe.Subscription {
  const input = updateSubscriptionInput.parse(raw);
  const { data, value: subscription } = locate(context, 'subscription', id, (set) => set.subscriptions.get(id));
  if (subscription.status === 'canceled') throw invalidRequest('A canceled subscription can not be updated.', 'id');
  const now = context.clock.now();
  if (input.status === 'canceled') return cancelSubscription(context, id, { emitEvents: input.emitEvents });
  const current = subscription.items.data;
  const items = (
    input.items ?? [
      { price: input.price ?? (current[0] as Stripe.SubscriptionItem).price.id, quantity: input.quantity },
      ...current.slice(1).map((item) => ({ price: item.price.id, quantity: item.quantity })),
    ]
  ).map((item, index) => ({
    id: current[index]?.id ?? context.ids.next('si', 14),
    created: current[index]?.created ?? now,
    // Looked up before anything changes, so an unknown price leaves the subscription untouched.
    price: findPrice(data, item.price),
    quantity: item.quantity ?? current[index]?.quantity,
    discounts: (current[index]?.discounts ?? []) as string[],
  }));
  if (typeof input.coupon === 'string') findCoupon(data, input.coupon);
  const wasTrialing = subscription.status === 'trialing';

  updateAndEmit(context, input.emitEvents, data, 'customer.subscription.updated', subscription, (target) => {
    target.items.data = items.map((item) => buildSubscriptionItem(target, item, now));
    if (input.trialEnd !== undefined) {
      target.trial_end = input.trialEnd;
      if (input.trialEnd !== null && input.trialEnd > now) {
        target.trial_start ??= now;
        target.billing_cycle_anchor = input.trialEnd;
        target.status = 'trialing';
      }
    }
    if (input.status !== undefined) target.status = input.status;
    // Leaving a trial early ends it now and restarts the billing cycle from now, as Stripe does.
    if (wasTrialing && target.status !== 'trialing' && (target.trial_end ?? 0) > now) {
      target.trial_end = now;
      target.billing_cycle_anchor = now;
    }
    if (input.cancelAtPeriodEnd !== undefined) {
      target.cancel_at_period_end = input.cancelAtPeriodEnd;
      target.canceled_at = input.cancelAtPeriodEnd ? now : null;
      target.cancellation_details = {
        comment: null,
        feedback: null,
        feedback_option: null,
        reason: input.cancelAtPeriodEnd ? 'cancellation_requested' : null,
      };
    }
    if (input.coupon !== undefined) {
      removeDiscounts(data, target);
      if (input.coupon !== null) attachDiscount(context, data, target, input.coupon, now, false);
    }
    if (input.metadata !== undefined) target.metadata = { ...target.metadata, ...input.metadata };
    // The status stays as it is: "the subscription status will be unchanged and will not be updated to paused"
    // (https://docs.stripe.com/api/subscriptions/update#update_subscription-pause_collection).
    if (input.pauseCollection !== undefined) target.pause_collection = pauseCollectionOf(input.pauseCollection);
    refreshItems(target, now);
    if (input.cancelAt !== undefined) {
      target.cancel_at = input.cancelAt;
      target.canceled_at = input.cancelAt === null ? null : now;
    } else if (input.cancelAtPeriodEnd !== undefined || target.cancel_at_period_end) {
      target.cancel_at = target.cancel_at_period_end ? (target.items.data[0]?.current_period_end ?? null) : null;
    }
  });
  return structuredClone(subscription);
}

function pauseCollectionOf(
  input: { behavior: Stripe.Subscription.PauseCollection.Behavior; resumesAt: number | null } | null,
): Stripe.Subscription.PauseCollection | null {
  return input === null ? null : { behavior: input.behavior, resumes_at: input.resumesAt };
}

/** Ends a subscription now (or at `at`) and emits `customer.subscription.deleted`. */
export function endSubscription(
  context: AdminContext,
  data: DataSet,
  subscription: Stripe.Subscription,
  at: number,
  emitEvents: boolean,
): void {
  subscription.status = 'canceled';
  subscription.canceled_at = at;
  subscription.ended_at = at;
  subscription.cancel_at = null;
  subscription.cancellation_details = {
    comment: null,
    feedback: null,
    feedback_option: null,
    reason: 'cancellation_requested',
  };
  refreshItems(subscription, context.clock.now());
  emitIf(context, emitEvents, data, 'customer.subscription.deleted', subscription);
}

export function cancelSubscription(
  context: AdminContext,
  id: string,
  raw?: CancelSubscriptionInput,
): Stripe.Subscription {
  const input = cancelSubscriptionInput.parse(raw);
  const { data, value: subscription } = locate(context, 'subscription', id, (set) => set.subscriptions.get(id));
  if (subscription.status === 'canceled') throw invalidRequest(`Subscription ${id} is already canceled.`, 'id');
  endSubscription(context, data, subscription, input.at ?? context.clock.now(), input.emitEvents);
  return structuredClone(subscription);
}
