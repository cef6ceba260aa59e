import assert from 'node:assert/strict';
import type Stripe from 'stripe';
import {
  EMPTY_CATALOG,
  chargeHistory,
  customerAttributes,
  dataEventFor,
  eventAtPinnedVersion,
  type CustomAttributes,
} from '../../src/mapping';
import { charge, customer, DAY, event, invoice, item, NOW, price, subscription } from './fixtures/stripe';

/**
 * Issue 17: every figure equals what Stripe bills. Each row states a Stripe state and, written by hand from Stripe's
 * documentation (the page beside the row), the attributes or data event it must give; none is computed by the mapping.
 */

interface AttributeRow {
  name: string;
  /** The page the expected values are read from. */
  source: string;
  subscriptions?: Stripe.Subscription[];
  charges?: Stripe.Charge[];
  customerCurrency?: string;
  expected: CustomAttributes;
}

function attributesOf(row: AttributeRow): Record<string, unknown> {
  const attributes = customerAttributes({
    customer: customer({ currency: row.customerCurrency ?? 'usd' }),
    subscriptions: row.subscriptions ?? [],
    charges: chargeHistory(row.charges ?? []),
    catalog: EMPTY_CATALOG,
    prefix: 'STRIPE_',
    metadataKeys: [],
    now: NOW,
  });
  return Object.fromEntries(Object.keys(row.expected).map((key) => [key, attributes[key]]));
}

/** Authorized 100.00 with `capture_method: manual` (https://docs.stripe.com/payments/place-a-hold-on-a-payment-method). */
const authorization = (overrides: Partial<Stripe.Charge> = {}) =>
  charge({ id: 'ch_hold', amount: 10000, amount_captured: 0, captured: false, created: NOW - DAY, ...overrides });
/**
 * Captured 60.00 of it: `amount_captured` 6000 ("can be less than the amount attribute on the charge if a partial
 * capture was made", https://docs.stripe.com/api/charges/object#charge_object-amount_captured); the released 40.00 is
 * refunded ("the remaining amount_capturable will automatically be refunded",
 * https://docs.stripe.com/api/payment_intents/cancel), so `amount_refunded` is 4000.
 */
const partiallyCaptured = (overrides: Partial<Stripe.Charge> = {}) =>
  authorization({ amount_captured: 6000, captured: true, amount_refunded: 4000, ...overrides });

const proPrice = price({ id: 'price_pro', nickname: 'Pro', unit_amount: 4900 });
const enterprisePrice = price({ id: 'price_enterprise', nickname: 'Enterprise', unit_amount: 99900 });

const attributeRows: AttributeRow[] = [
  {
    name: 'authorized 100.00 (manual capture), captured 60.00: spent 60, last charge 60',
    source: 'https://docs.stripe.com/api/charges/object#charge_object-amount_captured',
    charges: [partiallyCaptured()],
    expected: { STRIPE_total_spent: 60, STRIPE_last_charge_amount: 60, STRIPE_last_charge_at: NOW - DAY },
  },
  {
    name: 'partially captured 60.00, then 10.00 refunded (amount_refunded 4000 + 1000): spent 50',
    source: 'https://docs.stripe.com/api/charges/object#charge_object-amount_refunded',
    charges: [partiallyCaptured({ amount_refunded: 5000 })],
    expected: { STRIPE_total_spent: 50, STRIPE_last_charge_amount: 60 },
  },
  {
    name: 'authorized, not yet captured (status succeeded, captured false): nothing spent, no last charge',
    source: 'https://docs.stripe.com/api/charges/object#charge_object-captured',
    charges: [authorization()],
    expected: { STRIPE_total_spent: 0, STRIPE_last_charge_amount: null, STRIPE_last_charge_at: null },
  },
  {
    name: 'an authorization that expired uncaptured ("marked as refunded"): nothing spent',
    source: 'https://docs.stripe.com/api/charges/capture',
    charges: [authorization({ amount_refunded: 10000, refunded: true })],
    expected: { STRIPE_total_spent: 0, STRIPE_last_charge_amount: null },
  },
  {
    name: 'an uncaptured authorization newer than a paid charge: the paid one is the last charge',
    source: 'https://docs.stripe.com/api/charges/object#charge_object-captured',
    charges: [charge({ id: 'ch_paid', amount: 2500, created: NOW - 3 * DAY }), authorization()],
    expected: { STRIPE_total_spent: 25, STRIPE_last_charge_amount: 25, STRIPE_last_charge_at: NOW - 3 * DAY },
  },
  {
    name: 'a charge captured at once, 30.00 of 100.00 refunded: spent 70',
    source: 'https://docs.stripe.com/api/charges/object#charge_object-amount_refunded',
    charges: [charge({ amount: 10000, amount_refunded: 3000 })],
    expected: { STRIPE_total_spent: 70, STRIPE_last_charge_amount: 100 },
  },
  {
    name: 'JPY is zero-decimal: ¥5,000 is amount 5000 and 5000 yen',
    source: 'https://docs.stripe.com/currencies#zero-decimal',
    customerCurrency: 'jpy',
    charges: [charge({ amount: 5000, currency: 'jpy' })],
    expected: { STRIPE_total_spent: 5000, STRIPE_last_charge_amount: 5000 },
  },
  {
    name: 'KWD is three-decimal: amount 12340 is 12.340 KWD',
    source: 'https://docs.stripe.com/currencies#three-decimal',
    customerCurrency: 'kwd',
    charges: [charge({ amount: 12340, currency: 'kwd' })],
    expected: { STRIPE_total_spent: 12.34, STRIPE_last_charge_amount: 12.34 },
  },
  {
    name: 'a EUR charge of a USD customer is not added to its USD total (no exchange rate)',
    source: 'https://docs.stripe.com/api/customers/object#customer_object-currency',
    charges: [charge({ id: 'ch_usd', amount: 1000 }), charge({ id: 'ch_eur', amount: 5000, currency: 'eur' })],
    expected: { STRIPE_total_spent: 10 },
  },
  {
    name: 'a quantity-0 Enterprise item beside 1 × Pro: the plan is Pro, priced 49, MRR 49',
    source: 'https://docs.stripe.com/products-prices/pricing-models#per-seat',
    subscriptions: [
      subscription({
        items: [item({ price: enterprisePrice, quantity: 0 }), item({ price: proPrice, quantity: 1 })],
      }),
    ],
    expected: { STRIPE_plan_name: 'Pro', STRIPE_plan_price: 49, STRIPE_mrr: 49 },
  },
  {
    name: 'pause_collection (void) with no resume date: active, MRR 0, collection paused',
    source: 'https://docs.stripe.com/billing/subscriptions/pause-payment',
    subscriptions: [
      subscription({ items: [item({ price: proPrice })], pause_collection: { behavior: 'void', resumes_at: null } }),
    ],
    expected: {
      STRIPE_subscription_status: 'active',
      STRIPE_mrr: 0,
      STRIPE_plan_price: 49,
      STRIPE_collection_paused: true,
      STRIPE_collection_resumes_at: null,
    },
  },
  {
    name: 'pause_collection (keep_as_draft) resuming in 10 days: MRR 0 until then, resume date shown',
    source: 'https://docs.stripe.com/api/subscriptions/object#subscription_object-pause_collection-resumes_at',
    subscriptions: [
      subscription({
        items: [item({ price: proPrice })],
        pause_collection: { behavior: 'keep_as_draft', resumes_at: NOW + 10 * DAY },
      }),
    ],
    expected: { STRIPE_mrr: 0, STRIPE_collection_paused: true, STRIPE_collection_resumes_at: NOW + 10 * DAY },
  },
  {
    name: 'pause_collection whose resumes_at has passed: collecting again, MRR 49',
    source: 'https://docs.stripe.com/api/subscriptions/object#subscription_object-pause_collection-resumes_at',
    subscriptions: [
      subscription({
        items: [item({ price: proPrice })],
        pause_collection: { behavior: 'mark_uncollectible', resumes_at: NOW - DAY },
      }),
    ],
    expected: { STRIPE_mrr: 49, STRIPE_collection_paused: false, STRIPE_collection_resumes_at: null },
  },
  {
    name: 'tax_behavior exclusive $100/month: tax is added on top of the price, MRR 100 (tax excluded)',
    source: 'https://docs.stripe.com/api/prices/object#price_object-tax_behavior',
    subscriptions: [
      subscription({ items: [item({ price: price({ unit_amount: 10000, tax_behavior: 'exclusive' }) })] }),
    ],
    expected: { STRIPE_mrr: 100, STRIPE_plan_price: 100 },
  },
  {
    name: 'tax_behavior inclusive $120/month: the price already holds the tax, MRR 120 (the price as billed)',
    source: 'https://docs.stripe.com/tax/products-prices-tax-codes-tax-behavior',
    subscriptions: [
      subscription({ items: [item({ price: price({ unit_amount: 12000, tax_behavior: 'inclusive' }) })] }),
    ],
    expected: { STRIPE_mrr: 120, STRIPE_plan_price: 120 },
  },
  {
    name: 'every 3 months $90: MRR 30, interval "3 months"',
    source: 'https://docs.stripe.com/api/prices/object#price_object-recurring-interval_count',
    subscriptions: [
      subscription({
        items: [item({ price: price({ unit_amount: 9000, recurring: { interval: 'month', interval_count: 3 } }) })],
      }),
    ],
    expected: { STRIPE_mrr: 30, STRIPE_plan_interval: '3 months', STRIPE_plan_price: 90 },
  },
  {
    name: 'yearly ¥120,000 (zero-decimal): MRR ¥10,000',
    source: 'https://docs.stripe.com/currencies#zero-decimal',
    customerCurrency: 'jpy',
    subscriptions: [
      subscription({
        currency: 'jpy',
        items: [item({ price: price({ currency: 'jpy', unit_amount: 120000, recurring: { interval: 'year' } }) })],
      }),
    ],
    expected: { STRIPE_mrr: 10000, STRIPE_plan_price: 120000, STRIPE_plan_interval: 'year' },
  },
];

describe('mapping: every billing figure equals what Stripe bills (issue 17)', () => {
  for (const row of attributeRows) {
    it(`${row.name} (${row.source})`, () => assert.deepEqual(attributesOf(row), row.expected));
  }
});

describe('mapping: money-taken data events follow captures (issue 17)', () => {
  it('charge.succeeded of an uncaptured authorization: no stripe-charged (nothing taken yet)', () => {
    assert.equal(dataEventFor(event('charge.succeeded', authorization())), null);
  });

  it('charge.captured of a partial capture: stripe-charged with the 60.00 captured, not the 100.00 authorized', () => {
    // https://docs.stripe.com/api/events/types#event_types-charge.captured
    const captured = dataEventFor(event('charge.captured', partiallyCaptured()));
    assert.equal(captured?.event_name, 'stripe-charged');
    assert.deepEqual(captured?.metadata.amount, { amount: 6000, currency: 'usd' });
    assert.equal(captured?.metadata.charge_id, 'ch_hold');
  });

  it('charge.refunded after a partial capture: this refund 10.00; 10.00 refunded of the 60.00 paid', () => {
    const refunded = dataEventFor(
      event('charge.refunded', partiallyCaptured({ amount_refunded: 5000 }), {
        previousAttributes: { amount_refunded: 4000 },
      }),
    );
    assert.deepEqual(refunded?.metadata.refund_amount, { amount: 1000, currency: 'usd' });
    assert.deepEqual(refunded?.metadata.amount_refunded, { amount: 1000, currency: 'usd' });
    assert.deepEqual(refunded?.metadata.amount, { amount: 6000, currency: 'usd' });
  });

  it('a charge.refunded for the 40.00 a partial capture released: no refund event (nothing paid was given back)', () => {
    const release = event('charge.refunded', partiallyCaptured(), {
      previousAttributes: { amount_refunded: 0, amount_captured: 0, captured: false },
    });
    assert.equal(dataEventFor(release), null);
  });

  it('charge.refunded of an authorization that was never captured: no refund event (nothing was paid)', () => {
    assert.equal(dataEventFor(event('charge.refunded', authorization({ amount_refunded: 10000 }))), null);
  });
});

describe('mapping: events listed at their creation API version (issue 17)', () => {
  const atVersion = (stripeEvent: Stripe.Event, version: string): Stripe.Event => ({
    ...stripeEvent,
    api_version: version,
  });

  it('an invoice.created rendered at 2024-06-20 names its subscription in `subscription`: kept as subscription_id', () => {
    // https://docs.stripe.com/changelog/basil/2025-03-31/adds-new-parent-field-to-invoicing-objects
    const legacy = { ...invoice({ parent: undefined }), subscription: 'sub_legacy' };
    const dataEvent = dataEventFor(eventAtPinnedVersion(atVersion(event('invoice.created', legacy), '2024-06-20')));
    assert.equal(dataEvent?.metadata.subscription_id, 'sub_legacy');
  });

  it('a subscription rendered at 2024-06-20 has its period on the subscription: cancel at period end reads it', () => {
    // https://docs.stripe.com/changelog/basil/2025-03-31/deprecate-subscription-current-period-start-and-end
    const periodEnd = NOW + 12 * DAY;
    const itemWithoutPeriod = {
      ...item({ price: proPrice }),
      current_period_start: undefined,
      current_period_end: undefined,
    };
    const legacy = {
      ...subscription({ cancel_at_period_end: true, items: [itemWithoutPeriod as unknown as Stripe.SubscriptionItem] }),
      current_period_start: NOW - 18 * DAY,
      current_period_end: periodEnd,
      discounts: undefined,
      discount: null,
    };
    const dataEvent = dataEventFor(
      eventAtPinnedVersion(
        atVersion(
          event('customer.subscription.updated', legacy, { previousAttributes: { cancel_at_period_end: false } }),
          '2024-06-20',
        ),
      ),
    );
    assert.equal(dataEvent?.event_name, 'stripe-subscription-cancellation-scheduled');
    assert.equal(dataEvent?.metadata.cancel_at_date, periodEnd);
  });

  it('an event already at the pinned version is returned as it is', () => {
    const current = event('invoice.created', invoice());
    assert.equal(eventAtPinnedVersion(current), current);
  });
});
