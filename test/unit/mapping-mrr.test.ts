import assert from 'node:assert/strict';
import Stripe from 'stripe';
import { catalogFromLists, customerMrr, EMPTY_CATALOG, subscriptionMrr, type Catalog } from '../../src/mapping';
import { coupon, DAY, discount, item, NOW, price, subscription, tier } from './fixtures/stripe';

const percent25Forever = coupon({ id: 'pct25', percent_off: 25 });
const tenPercentForever = coupon({ id: 'pct10', percent_off: 10 });
const twentyDollarsOffForever = coupon({ id: 'usd20', amount_off: 2000, currency: 'usd' });
const fiveDollarsOffForever = coupon({ id: 'usd5', amount_off: 500, currency: 'usd' });
const hundredTwentyOffForever = coupon({ id: 'usd120', amount_off: 12000, currency: 'usd' });
const fiftyPercentForever = coupon({ id: 'pct50', percent_off: 50 });
const repeating30 = coupon({ id: 'rep30', percent_off: 30, duration: 'repeating', duration_in_months: 3 });
const once40 = coupon({ id: 'once40', percent_off: 40, duration: 'once' });
const tenEurosOff = coupon({ id: 'eur10', amount_off: 1000, currency: 'eur' });
const tenEurosOffWithUsdOption = coupon({
  id: 'eur10usd',
  amount_off: 1000,
  currency: 'eur',
  currency_options: { usd: { amount_off: 1200 } },
});
const tenDollarsOffProductB = coupon({
  id: 'usd10b',
  amount_off: 1000,
  currency: 'usd',
  applies_to: { products: ['prod_b'] },
});

const graduatedTiers = [tier(5, 1000), tier(10, 800), tier(null, 500)];
const graduatedTiersWithFlat = [tier(5, 1000, 2000), tier(10, 800, 1000), tier(null, 500, 300)];
const volumeTiers = [tier(5, 1000), tier(10, 800, 500), tier(null, 500)];

const catalog = catalogFromLists(
  [],
  [price({ id: 'price_tiered_elsewhere', billing_scheme: 'tiered', tiers_mode: 'graduated', tiers: graduatedTiers })],
  [
    percent25Forever,
    tenPercentForever,
    twentyDollarsOffForever,
    fiveDollarsOffForever,
    hundredTwentyOffForever,
    fiftyPercentForever,
    repeating30,
    once40,
    tenEurosOff,
    tenEurosOffWithUsdOption,
    tenDollarsOffProductB,
  ],
);

const monthly = (unitAmount: number, quantity = 1) => item({ price: price({ unit_amount: unitAmount }), quantity });
const every = (interval: string, count: number, unitAmount: number) =>
  item({ price: price({ unit_amount: unitAmount, recurring: { interval, interval_count: count } }) });

interface MrrCase {
  name: string;
  subscription: Stripe.Subscription;
  /** Expected monthly amount in minor units; the arithmetic is in the name or a comment. */
  expected: number;
  catalog?: Catalog;
  customerDiscount?: Stripe.Discount;
}

const cases: MrrCase[] = [
  // Intervals
  { name: 'monthly $10: 1000', subscription: subscription({ items: [monthly(1000)] }), expected: 1000 },
  {
    name: 'monthly $10 × 3 seats: 1000 × 3 = 3000',
    subscription: subscription({ items: [monthly(1000, 3)] }),
    expected: 3000,
  },
  {
    name: 'annual $120: 12000 / 12 = 1000',
    subscription: subscription({ items: [every('year', 1, 12000)] }),
    expected: 1000,
  },
  {
    name: 'every 2 years $240: 24000 / 12 / 2 = 1000',
    subscription: subscription({ items: [every('year', 2, 24000)] }),
    expected: 1000,
  },
  // 1000 × 52 / 12 = 4333.33…
  {
    name: 'weekly $10: 1000 × 52/12',
    subscription: subscription({ items: [every('week', 1, 1000)] }),
    expected: 52000 / 12,
  },
  // 1000 × 52 / 12 / 2 = 2166.66…
  {
    name: 'every 2 weeks $10: 1000 × 52/12 / 2',
    subscription: subscription({ items: [every('week', 2, 1000)] }),
    expected: 26000 / 12,
  },
  // 100 × 365 / 12 = 3041.66…
  {
    name: 'daily $1: 100 × 365/12',
    subscription: subscription({ items: [every('day', 1, 100)] }),
    expected: 36500 / 12,
  },
  {
    name: 'every 3 months $30: 3000 / 3 = 1000',
    subscription: subscription({ items: [every('month', 3, 3000)] }),
    expected: 1000,
  },
  {
    name: 'two items, $10 + $30 × 2: 1000 + 6000 = 7000',
    subscription: subscription({ items: [monthly(1000), monthly(3000, 2)] }),
    expected: 7000,
  },
  // Amount shapes
  {
    name: 'unit_amount_decimal "12.5" × 4 (webhook string): 12.5 × 4 = 50',
    subscription: subscription({
      items: [
        item({
          price: price({ unit_amount: null, unit_amount_decimal: '12.5' as unknown as Stripe.Decimal }),
          quantity: 4,
        }),
      ],
    }),
    expected: 50,
  },
  {
    name: 'unit_amount_decimal Decimal(0.35) × 1000 (SDK object): 0.35 × 1000 = 350',
    subscription: subscription({
      items: [
        item({ price: price({ unit_amount: null, unit_amount_decimal: Stripe.Decimal.from('0.35') }), quantity: 1000 }),
      ],
    }),
    expected: 350,
  },
  {
    name: 'transform_quantity ÷10 round up, 25 seats × $5: ceil(2.5) = 3 × 500 = 1500',
    subscription: subscription({
      items: [
        item({ price: price({ unit_amount: 500, transform_quantity: { divide_by: 10, round: 'up' } }), quantity: 25 }),
      ],
    }),
    expected: 1500,
  },
  {
    name: 'transform_quantity ÷10 round down, 25 seats × $5: floor(2.5) = 2 × 500 = 1000',
    subscription: subscription({
      items: [
        item({
          price: price({ unit_amount: 500, transform_quantity: { divide_by: 10, round: 'down' } }),
          quantity: 25,
        }),
      ],
    }),
    expected: 1000,
  },
  {
    name: 'graduated, qty 12: 5×1000 + 5×800 + 2×500 = 10000',
    subscription: subscription({
      items: [
        item({
          price: price({ billing_scheme: 'tiered', tiers_mode: 'graduated', tiers: graduatedTiers, unit_amount: null }),
          quantity: 12,
        }),
      ],
    }),
    expected: 10000,
  },
  {
    name: 'graduated with flat fees, qty 7: (5×1000 + 2000) + (2×800 + 1000) = 9600, third tier not reached',
    subscription: subscription({
      items: [
        item({
          price: price({
            billing_scheme: 'tiered',
            tiers_mode: 'graduated',
            tiers: graduatedTiersWithFlat,
            unit_amount: null,
          }),
          quantity: 7,
        }),
      ],
    }),
    expected: 9600,
  },
  {
    name: 'graduated with flat fees, qty 0: first tier flat fee only = 2000',
    subscription: subscription({
      items: [
        item({
          price: price({
            billing_scheme: 'tiered',
            tiers_mode: 'graduated',
            tiers: graduatedTiersWithFlat,
            unit_amount: null,
          }),
          quantity: 0,
        }),
      ],
    }),
    expected: 2000,
  },
  {
    name: 'graduated, tiers only in the catalog, qty 12: 5×1000 + 5×800 + 2×500 = 10000',
    subscription: subscription({
      items: [
        item({
          price: price({
            id: 'price_tiered_elsewhere',
            billing_scheme: 'tiered',
            tiers_mode: 'graduated',
            unit_amount: null,
          }),
          quantity: 12,
        }),
      ],
    }),
    expected: 10000,
  },
  {
    name: 'graduated, tiers nowhere: amount unknown, counts 0',
    subscription: subscription({
      items: [
        item({
          price: price({
            id: 'price_unknown_tiers',
            billing_scheme: 'tiered',
            tiers_mode: 'graduated',
            unit_amount: null,
          }),
          quantity: 12,
        }),
      ],
    }),
    expected: 0,
  },
  {
    name: 'volume, qty 7 (second tier): 7×800 + 500 flat = 6100',
    subscription: subscription({
      items: [
        item({
          price: price({ billing_scheme: 'tiered', tiers_mode: 'volume', tiers: volumeTiers, unit_amount: null }),
          quantity: 7,
        }),
      ],
    }),
    expected: 6100,
  },
  {
    name: 'volume, qty 12 (last tier): 12×500 = 6000',
    subscription: subscription({
      items: [
        item({
          price: price({ billing_scheme: 'tiered', tiers_mode: 'volume', tiers: volumeTiers, unit_amount: null }),
          quantity: 12,
        }),
      ],
    }),
    expected: 6000,
  },
  {
    name: 'volume, qty 5 (boundary, first tier): 5×1000 = 5000',
    subscription: subscription({
      items: [
        item({
          price: price({ billing_scheme: 'tiered', tiers_mode: 'volume', tiers: volumeTiers, unit_amount: null }),
          quantity: 5,
        }),
      ],
    }),
    expected: 5000,
  },
  // Discounts
  {
    name: '25% forever on $100: 10000 × 0.75 = 7500',
    subscription: subscription({ items: [monthly(10000)], discounts: [discount(percent25Forever)] }),
    expected: 7500,
  },
  {
    name: '$20 off forever on $100/month: 10000 − 2000 = 8000',
    subscription: subscription({ items: [monthly(10000)], discounts: [discount(twentyDollarsOffForever)] }),
    expected: 8000,
  },
  {
    name: '$120 off forever on $1200/year, off per period before normalising: (120000 − 12000) / 12 = 9000',
    subscription: subscription({ items: [every('year', 1, 120000)], discounts: [discount(hundredTwentyOffForever)] }),
    expected: 9000,
  },
  {
    name: '$20 off on a $10 plan: never below 0',
    subscription: subscription({ items: [monthly(1000)], discounts: [discount(twentyDollarsOffForever)] }),
    expected: 0,
  },
  {
    name: '10% then $5 off, in order, on $100: 10000 × 0.9 − 500 = 8500',
    subscription: subscription({
      items: [monthly(10000)],
      discounts: [discount(tenPercentForever), discount(fiveDollarsOffForever)],
    }),
    expected: 8500,
  },
  {
    name: '30% repeating, end in the future: 10000 × 0.7 = 7000',
    subscription: subscription({
      items: [monthly(10000)],
      discounts: [discount(repeating30, { end: NOW + 30 * DAY })],
    }),
    expected: 7000,
  },
  {
    name: '30% repeating, ended: 10000',
    subscription: subscription({ items: [monthly(10000)], discounts: [discount(repeating30, { end: NOW - DAY })] }),
    expected: 10000,
  },
  {
    name: '30% repeating, ends exactly now: over, 10000',
    subscription: subscription({ items: [monthly(10000)], discounts: [discount(repeating30, { end: NOW })] }),
    expected: 10000,
  },
  {
    name: '40% once (Stripe leaves end null): one invoice only, 10000',
    subscription: subscription({ items: [monthly(10000)], discounts: [discount(once40)] }),
    expected: 10000,
  },
  {
    name: 'coupon expanded in the discount itself (not in the catalog): 10000 × 0.75 = 7500',
    subscription: subscription({
      items: [monthly(10000)],
      discounts: [discount(coupon({ id: 'not_in_catalog', percent_off: 25 }), { expanded: true })],
    }),
    expected: 7500,
  },
  {
    name: 'coupon neither expanded nor in the catalog: cannot be priced, 10000',
    subscription: subscription({
      items: [monthly(10000)],
      discounts: [discount(coupon({ id: 'unknown', percent_off: 25 }))],
    }),
    expected: 10000,
  },
  {
    name: 'discount not expanded (id only): cannot be priced, 10000',
    subscription: subscription({ items: [monthly(10000)], discounts: ['di_unexpanded'] }),
    expected: 10000,
  },
  {
    name: '€10 off on a USD subscription: not applicable, 10000',
    subscription: subscription({ items: [monthly(10000)], discounts: [discount(tenEurosOff)] }),
    expected: 10000,
  },
  {
    name: '€10 off with a $12 currency option: 10000 − 1200 = 8800',
    subscription: subscription({ items: [monthly(10000)], discounts: [discount(tenEurosOffWithUsdOption)] }),
    expected: 8800,
  },
  {
    name: '50% item discount on the $30 item only: 1000 + 3000 × 0.5 = 2500',
    subscription: subscription({
      items: [monthly(1000), item({ price: price({ unit_amount: 3000 }), discounts: [discount(fiftyPercentForever)] })],
    }),
    expected: 2500,
  },
  {
    name: '$10 off restricted to prod_b: A 1000 + (B 3000 − 1000) = 3000',
    subscription: subscription({
      items: [
        item({ price: price({ id: 'price_a', product: 'prod_a', unit_amount: 1000 }) }),
        item({ price: price({ id: 'price_b', product: 'prod_b', unit_amount: 3000 }) }),
      ],
      discounts: [discount(tenDollarsOffProductB)],
    }),
    expected: 3000,
  },
  {
    name: 'customer discount 10% applies to a subscription without its own: 10000 × 0.9 = 9000',
    subscription: subscription({ items: [monthly(10000)] }),
    customerDiscount: discount(tenPercentForever),
    expected: 9000,
  },
  {
    name: 'subscription discount 25% takes precedence over the customer 10%: 10000 × 0.75 = 7500',
    subscription: subscription({ items: [monthly(10000)], discounts: [discount(percent25Forever)] }),
    customerDiscount: discount(tenPercentForever),
    expected: 7500,
  },
  // Statuses, trials, usage
  { name: 'trialing: 0', subscription: subscription({ status: 'trialing', items: [monthly(1000)] }), expected: 0 },
  {
    name: 'past_due counts: 1000',
    subscription: subscription({ status: 'past_due', items: [monthly(1000)] }),
    expected: 1000,
  },
  { name: 'canceled: 0', subscription: subscription({ status: 'canceled', items: [monthly(1000)] }), expected: 0 },
  { name: 'unpaid: 0', subscription: subscription({ status: 'unpaid', items: [monthly(1000)] }), expected: 0 },
  { name: 'incomplete: 0', subscription: subscription({ status: 'incomplete', items: [monthly(1000)] }), expected: 0 },
  { name: 'paused: 0', subscription: subscription({ status: 'paused', items: [monthly(1000)] }), expected: 0 },
  {
    name: 'item still in its own trial: excluded, other item 1000',
    subscription: subscription({
      items: [
        monthly(1000),
        item({
          price: price({ unit_amount: 5000 }),
          current_trial: {
            start_date: NOW - DAY,
            end_date: NOW + DAY,
            trial_offer: 'to_1',
          } as Stripe.SubscriptionItem.CurrentTrial,
        }),
      ],
    }),
    expected: 1000,
  },
  {
    name: 'metered item excluded: licensed 1000 + metered 0',
    subscription: subscription({
      items: [
        monthly(1000),
        item({
          price: price({ unit_amount: 25, recurring: { usage_type: 'metered', meter: 'mtr_1' } }),
          quantity: undefined,
        }),
      ],
    }),
    expected: 1000,
  },
  {
    name: 'JPY ¥1000/month, zero-decimal: minor units are yen, 1000',
    subscription: subscription({
      currency: 'jpy',
      items: [item({ price: price({ currency: 'jpy', unit_amount: 1000 }) })],
    }),
    expected: 1000,
  },
];

describe('mapping: subscription MRR (minor units per month)', () => {
  for (const testCase of cases) {
    it(testCase.name, () => {
      const mrr = subscriptionMrr(testCase.subscription, {
        catalog: testCase.catalog ?? catalog,
        now: NOW,
        customerDiscount: testCase.customerDiscount ?? null,
      });
      assert.ok(Math.abs(mrr - testCase.expected) < 1e-9, `expected ${testCase.expected}, got ${mrr}`);
    });
  }
});

describe('mapping: customer MRR (major units, 2 decimals)', () => {
  const context = { catalog: EMPTY_CATALOG, now: NOW };

  it('sums active and past_due subscriptions, trialing adds nothing: (1000 + 12000/12) / 100 = 20', () => {
    const subscriptions = [
      subscription({ id: 'sub_a', items: [monthly(1000)] }),
      subscription({ id: 'sub_b', status: 'past_due', items: [every('year', 1, 12000)] }),
      subscription({ id: 'sub_c', status: 'trialing', items: [monthly(5000)] }),
    ];
    assert.equal(customerMrr(subscriptions, 'usd', context), 20);
  });

  it('weekly $10 rounds to cents: 1000 × 52/12 = 4333.33… cents → 43.33', () => {
    assert.equal(customerMrr([subscription({ items: [every('week', 1, 1000)] })], 'usd', context), 43.33);
  });

  it('JPY annual ¥10,000: 10000 / 12 = 833.33… yen (zero-decimal: no ÷100) → 833.33', () => {
    const yearly = subscription({
      currency: 'jpy',
      items: [item({ price: price({ currency: 'jpy', unit_amount: 10000, recurring: { interval: 'year' } }) })],
    });
    assert.equal(customerMrr([yearly], 'jpy', context), 833.33);
  });

  it('leaves out subscriptions billed in another currency than the customer’s', () => {
    const subscriptions = [
      subscription({ id: 'sub_usd', items: [monthly(1000)] }),
      subscription({
        id: 'sub_eur',
        currency: 'eur',
        items: [item({ price: price({ currency: 'eur', unit_amount: 9900 }) })],
      }),
    ];
    assert.equal(customerMrr(subscriptions, 'usd', context), 10);
  });

  it('uses the subscriptions’ currency when the customer has none yet, and is 0 without subscriptions', () => {
    assert.equal(customerMrr([subscription({ items: [monthly(1999)] })], null, context), 19.99);
    assert.equal(customerMrr([], null, context), 0);
  });
});
