import { z } from 'zod';

/** Inputs of the admin API. The same schemas check programmatic calls and JSON from `/_emulator/…`. */

const mode = z.enum(['live', 'test']).default('live');
/** `false` writes state silently (seeding); by default a mutation emits and delivers Stripe's events. */
const emitEvents = z.boolean().default(true);
const timestamp = z.number().int().nonnegative();
const metadata = z.record(z.string(), z.string());
const currency = z
  .string()
  .regex(/^[a-zA-Z]{3}$/, 'expected a 3-letter ISO currency code')
  .transform((value) => value.toLowerCase());
const amount = z.number().int().nonnegative();

export const createCustomerInput = z.object({
  mode,
  id: z.string().startsWith('cus_').optional(),
  email: z.string().nullable().optional(),
  name: z.string().nullable().optional(),
  description: z.string().nullable().optional(),
  phone: z.string().nullable().optional(),
  currency: currency.nullable().optional(),
  balance: z.number().int().optional(),
  delinquent: z.boolean().optional(),
  metadata: metadata.optional(),
  created: timestamp.optional(),
  emitEvents,
});

export const updateCustomerInput = z.object({
  email: z.string().nullable().optional(),
  name: z.string().nullable().optional(),
  description: z.string().nullable().optional(),
  phone: z.string().nullable().optional(),
  currency: currency.nullable().optional(),
  balance: z.number().int().optional(),
  delinquent: z.boolean().optional(),
  /** Merged into the existing metadata; a `null`-free record, as Stripe's unset-by-empty-string is not needed here. */
  metadata: metadata.optional(),
  /** A payment method id attached to the customer, or null to clear `invoice_settings.default_payment_method`. */
  defaultPaymentMethod: z.string().nullable().optional(),
  emitEvents,
});

export const deleteInput = z.object({ emitEvents }).prefault({});

export const cardInput = z.object({
  customer: z.string(),
  brand: z.enum(['visa', 'mastercard', 'amex', 'discover', 'jcb', 'diners', 'unionpay']).default('visa'),
  expMonth: z.number().int().min(1).max(12),
  expYear: z.number().int().min(2000).max(2100),
  last4: z
    .string()
    .regex(/^\d{4}$/)
    .optional(),
  funding: z.enum(['credit', 'debit', 'prepaid', 'unknown']).default('credit'),
  country: z.string().length(2).default('US'),
  /** Make it the customer's default (`invoice_settings.default_payment_method`, or `default_source` for sources). */
  setDefault: z.boolean().default(true),
  created: timestamp.optional(),
  emitEvents,
});

export const sepaDebitInput = z.object({
  customer: z.string(),
  last4: z
    .string()
    .regex(/^\d{4}$/)
    .default('3000'),
  country: z.string().length(2).default('DE'),
  /** Make it the customer's `invoice_settings.default_payment_method`. */
  setDefault: z.boolean().default(true),
  created: timestamp.optional(),
  emitEvents,
});

export const createProductInput = z.object({
  mode,
  id: z.string().optional(),
  name: z.string().min(1),
  description: z.string().nullable().optional(),
  active: z.boolean().optional(),
  metadata: metadata.optional(),
  created: timestamp.optional(),
  emitEvents,
});

const tier = z.object({
  /** `null` (or 'inf') for the last, open-ended tier. */
  upTo: z
    .union([z.number().int().positive(), z.literal('inf'), z.null()])
    .transform((value) => (value === 'inf' ? null : value)),
  unitAmount: amount.nullable().optional(),
  flatAmount: amount.nullable().optional(),
});

export const createPriceInput = z
  .object({
    id: z.string().optional(),
    product: z.string(),
    currency: currency.default('usd'),
    unitAmount: amount.optional(),
    nickname: z.string().nullable().optional(),
    /** Omitted: a one-time price. */
    interval: z.enum(['day', 'week', 'month', 'year']).optional(),
    intervalCount: z.number().int().positive().default(1),
    usageType: z.enum(['licensed', 'metered']).default('licensed'),
    tiersMode: z.enum(['graduated', 'volume']).optional(),
    tiers: z.array(tier).min(1).optional(),
    lookupKey: z.string().nullable().optional(),
    taxBehavior: z.enum(['inclusive', 'exclusive', 'unspecified']).optional(),
    active: z.boolean().optional(),
    metadata: metadata.optional(),
    created: timestamp.optional(),
    emitEvents,
  })
  .refine((price) => (price.tiersMode === undefined) === (price.tiers === undefined), {
    message: 'tiersMode and tiers go together',
  })
  .refine((price) => price.tiersMode !== undefined || price.unitAmount !== undefined, {
    message: 'unitAmount is required for a per-unit price',
  });

export const createCouponInput = z
  .object({
    mode,
    id: z.string().optional(),
    name: z.string().nullable().optional(),
    percentOff: z.number().positive().max(100).optional(),
    amountOff: z.number().int().positive().optional(),
    currency: currency.optional(),
    duration: z.enum(['forever', 'once', 'repeating']).default('forever'),
    durationInMonths: z.number().int().positive().optional(),
    created: timestamp.optional(),
    emitEvents,
  })
  .refine((coupon) => (coupon.percentOff === undefined) !== (coupon.amountOff === undefined), {
    message: 'exactly one of percentOff and amountOff',
  })
  .refine((coupon) => coupon.amountOff === undefined || coupon.currency !== undefined, {
    message: 'amountOff needs a currency',
  })
  .refine((coupon) => (coupon.duration === 'repeating') === (coupon.durationInMonths !== undefined), {
    message: 'durationInMonths goes with duration "repeating"',
  });

const subscriptionStatus = z.enum([
  'active',
  'trialing',
  'past_due',
  'canceled',
  'paused',
  'unpaid',
  'incomplete',
  'incomplete_expired',
]);

const item = z.object({
  price: z.string(),
  quantity: z.number().int().nonnegative().optional(),
  /** A coupon applied to this item only (`items[].discounts`). */
  coupon: z.string().optional(),
});

/**
 * `pause_collection` (https://docs.stripe.com/api/subscriptions/update#update_subscription-pause_collection): what
 * happens to the invoices while collection is paused, and optionally when it resumes; null resumes now.
 */
const pauseCollection = z
  .object({
    behavior: z.enum(['keep_as_draft', 'mark_uncollectible', 'void']),
    resumesAt: timestamp.nullable().default(null),
  })
  .nullable();

export const createSubscriptionInput = z.object({
  customer: z.string(),
  items: z.array(item).min(1),
  /** Default: `trialing` when a trial is given, else `active`. Any status can be set directly. */
  status: subscriptionStatus.optional(),
  trialEnd: timestamp.optional(),
  trialDays: z.number().int().positive().optional(),
  coupon: z.string().optional(),
  cancelAtPeriodEnd: z.boolean().optional(),
  /** A scheduled end (`cancel_at`), as when set through the API or the dashboard's "cancel on a date". */
  cancelAt: timestamp.optional(),
  /** A payment method of the customer set on the subscription itself, as Stripe Checkout does. */
  defaultPaymentMethod: z.string().optional(),
  pauseCollection: pauseCollection.optional(),
  /** For `canceled`: when it ended (default: now). */
  canceledAt: timestamp.optional(),
  /** How many failed payment attempts a `past_due`/`unpaid` subscription's latest invoice has had. */
  failedAttempts: z.number().int().positive().optional(),
  metadata: metadata.optional(),
  created: timestamp.optional(),
  emitEvents,
});

export const updateSubscriptionInput = z.object({
  /** Replaces all items. */
  items: z.array(item).min(1).optional(),
  /** Shorthands for a one-item subscription: change the first item's price or quantity. */
  price: z.string().optional(),
  quantity: z.number().int().nonnegative().optional(),
  status: subscriptionStatus.optional(),
  cancelAtPeriodEnd: z.boolean().optional(),
  /** Schedule (or, with null, unschedule) the end of the subscription at a date. */
  cancelAt: timestamp.nullable().optional(),
  trialEnd: timestamp.nullable().optional(),
  /** A coupon id to apply, or null to remove the discounts. */
  coupon: z.string().nullable().optional(),
  pauseCollection: pauseCollection.optional(),
  metadata: metadata.optional(),
  emitEvents,
});

export const cancelSubscriptionInput = z.object({ at: timestamp.optional(), emitEvents }).prefault({});

export const createChargeInput = z.object({
  customer: z.string(),
  amount: z.number().int().positive(),
  /** Default: the customer's currency, else usd. */
  currency: currency.optional(),
  status: z.enum(['succeeded', 'failed']).default('succeeded'),
  /** For failed charges; default `card_declined`. */
  failureCode: z.string().optional(),
  failureMessage: z.string().optional(),
  description: z.string().nullable().optional(),
  /** Default: the customer's default payment method or source. */
  paymentMethod: z.string().optional(),
  /** False: authorize only (`capture: false`, a manual capture), captured later with `captureCharge`. */
  capture: z.boolean().default(true),
  created: timestamp.optional(),
  emitEvents,
});

export const captureInput = z
  .object({
    /** Default: the whole authorization; less is a partial capture, the rest is released. */
    amount: z.number().int().positive().optional(),
    emitEvents,
  })
  .prefault({});

export const refundInput = z
  .object({
    /** Default: what is left of the charge. */
    amount: z.number().int().positive().optional(),
    reason: z.enum(['duplicate', 'fraudulent', 'requested_by_customer']).optional(),
    emitEvents,
  })
  .prefault({});

export const createInvoiceInput = z.object({
  customer: z.string(),
  amountDue: amount,
  currency: currency.optional(),
  subscription: z.string().optional(),
  status: z.enum(['draft', 'open', 'paid']).default('open'),
  description: z.string().nullable().optional(),
  created: timestamp.optional(),
  emitEvents,
});

export const failInvoiceInput = z.object({ failureCode: z.string().default('card_declined'), emitEvents }).prefault({});

export const deauthorizeInput = z
  .object({
    mode,
    applicationId: z.string().default('ca_emulatedSyncApp'),
    applicationName: z.string().default('Stripe Intercom Sync'),
  })
  .prefault({});

export const emitEventInput = z.object({
  mode,
  type: z.string().regex(/^[a-z_]+(\.[a-z_]+)+$/, 'expected an event type such as customer.updated'),
  object: z.record(z.string(), z.unknown()),
  previousAttributes: z.record(z.string(), z.unknown()).optional(),
  /** Backdate the event, e.g. past the 30-day window of the Events API. */
  created: timestamp.optional(),
  account: z.string().optional(),
});

export const createWebhookEndpointInput = z.object({
  mode,
  url: z.url(),
  enabledEvents: z.array(z.string()).min(1).default(['*']),
  description: z.string().optional(),
});

export const modeInput = z.enum(['live', 'test']);
export const keyOptionsInput = z.object({ restricted: z.boolean().default(false) }).prefault({});

export type CreateCustomerInput = z.input<typeof createCustomerInput>;
export type UpdateCustomerInput = z.input<typeof updateCustomerInput>;
export type CardInput = z.input<typeof cardInput>;
export type SepaDebitInput = z.input<typeof sepaDebitInput>;
export type CreateProductInput = z.input<typeof createProductInput>;
export type CreatePriceInput = z.input<typeof createPriceInput>;
export type CreateCouponInput = z.input<typeof createCouponInput>;
export type CreateSubscriptionInput = z.input<typeof createSubscriptionInput>;
export type UpdateSubscriptionInput = z.input<typeof updateSubscriptionInput>;
export type CancelSubscriptionInput = z.input<typeof cancelSubscriptionInput>;
export type CreateChargeInput = z.input<typeof createChargeInput>;
export type RefundInput = z.input<typeof refundInput>;
export type CaptureInput = z.input<typeof captureInput>;
export type CreateInvoiceInput = z.input<typeof createInvoiceInput>;
export type FailInvoiceInput = z.input<typeof failInvoiceInput>;
export type DeauthorizeInput = z.input<typeof deauthorizeInput>;
export type EmitEventInput = z.input<typeof emitEventInput>;
export type CreateWebhookEndpointInput = z.input<typeof createWebhookEndpointInput>;
export type DeleteInput = z.input<typeof deleteInput>;
