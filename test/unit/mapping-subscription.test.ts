import assert from 'node:assert/strict';
import {
  EMPTY_CATALOG,
  intervalLabel,
  primaryItem,
  primarySubscription,
  subscriptionStatusRank,
  type PricingContext,
} from '../../src/mapping';
import { DAY, item, NOW, price, subscription, tier } from './fixtures/stripe';

const context: PricingContext = { catalog: EMPTY_CATALOG, now: NOW };
const monthlyItem = (unitAmount: number) => item({ price: price({ unit_amount: unitAmount }) });

describe('mapping: primary subscription', () => {
  it('ranks statuses active > trialing > past_due > unpaid > incomplete > paused > canceled > incomplete_expired', () => {
    const order = [
      'active',
      'trialing',
      'past_due',
      'unpaid',
      'incomplete',
      'paused',
      'canceled',
      'incomplete_expired',
    ];
    const ranks = order.map(subscriptionStatusRank);
    assert.deepEqual(
      ranks,
      [...ranks].sort((a, b) => b - a),
    );
    assert.equal(new Set(ranks).size, order.length);
    assert.ok(subscriptionStatusRank('some_future_status') < subscriptionStatusRank('incomplete_expired'));
  });

  it('prefers status over value: an active $10 beats a trialing $500 and a past_due $100', () => {
    const subscriptions = [
      subscription({ id: 'sub_trial', status: 'trialing', items: [monthlyItem(50000)] }),
      subscription({ id: 'sub_active', status: 'active', items: [monthlyItem(1000)] }),
      subscription({ id: 'sub_late', status: 'past_due', items: [monthlyItem(10000)] }),
    ];
    assert.equal(primarySubscription(subscriptions, context)?.id, 'sub_active');
  });

  it('within a status, the highest MRR wins: $10/month (1000) vs $150/year (15000 / 12 = 1250)', () => {
    const subscriptions = [
      subscription({ id: 'sub_monthly', items: [monthlyItem(1000)] }),
      subscription({
        id: 'sub_yearly',
        items: [item({ price: price({ unit_amount: 15000, recurring: { interval: 'year' } }) })],
      }),
    ];
    assert.equal(primarySubscription(subscriptions, context)?.id, 'sub_yearly');
  });

  it('between two trials, the one worth more after the trial wins', () => {
    const subscriptions = [
      subscription({ id: 'sub_small_trial', status: 'trialing', items: [monthlyItem(1000)], created: NOW - DAY }),
      subscription({ id: 'sub_big_trial', status: 'trialing', items: [monthlyItem(9000)], created: NOW - 9 * DAY }),
    ];
    assert.equal(primarySubscription(subscriptions, context)?.id, 'sub_big_trial');
  });

  it('on equal status and MRR, the newest wins', () => {
    const subscriptions = [
      subscription({ id: 'sub_old', created: NOW - 90 * DAY }),
      subscription({ id: 'sub_new', created: NOW - 2 * DAY }),
    ];
    assert.equal(primarySubscription(subscriptions, context)?.id, 'sub_new');
  });

  it('settles exact ties by id, whatever the input order', () => {
    const a = subscription({ id: 'sub_a' });
    const b = subscription({ id: 'sub_b' });
    assert.equal(primarySubscription([a, b], context)?.id, 'sub_a');
    assert.equal(primarySubscription([b, a], context)?.id, 'sub_a');
  });

  it('is null without subscriptions', () => {
    assert.equal(primarySubscription([], context), null);
  });
});

describe('mapping: primary item', () => {
  it('is the item with the largest amount per unit and month, not the most seats: Pro $49 beats 10 × $10 seats', () => {
    const pro = item({ id: 'si_pro', price: price({ unit_amount: 4900 }) });
    const seats = item({ id: 'si_seats', price: price({ unit_amount: 1000 }), quantity: 10 });
    assert.equal(primaryItem(subscription({ items: [seats, pro] }), EMPTY_CATALOG)?.id, 'si_pro');
  });

  it('normalises to a month: $50/year (416.67 a month) loses to $10/month', () => {
    const yearly = item({ id: 'si_yearly', price: price({ unit_amount: 5000, recurring: { interval: 'year' } }) });
    const monthly = item({ id: 'si_monthly', price: price({ unit_amount: 1000 }) });
    assert.equal(primaryItem(subscription({ items: [yearly, monthly] }), EMPTY_CATALOG)?.id, 'si_monthly');
  });

  it('values tiered items by their first unit: graduated 2000 + 1500 flat = 3500 loses to $50, beats $30', () => {
    const tiered = item({
      id: 'si_tiered',
      price: price({
        billing_scheme: 'tiered',
        tiers_mode: 'graduated',
        tiers: [tier(null, 2000, 1500)],
        unit_amount: null,
      }),
      quantity: 3,
    });
    assert.notEqual(primaryItem(subscription({ items: [monthlyItem(5000), tiered] }), EMPTY_CATALOG)?.id, 'si_tiered');
    assert.equal(primaryItem(subscription({ items: [monthlyItem(3000), tiered] }), EMPTY_CATALOG)?.id, 'si_tiered');
  });

  it('prefers a licensed item over a metered one of equal (unknown) value, then Stripe’s item order', () => {
    const metered = item({ id: 'si_metered', price: price({ unit_amount: 5, recurring: { usage_type: 'metered' } }) });
    const free = item({ id: 'si_free', price: price({ unit_amount: 0 }) });
    const alsoFree = item({ id: 'si_also_free', price: price({ unit_amount: 0 }) });
    assert.equal(primaryItem(subscription({ items: [metered, free, alsoFree] }), EMPTY_CATALOG)?.id, 'si_free');
  });
});

describe('mapping: plan interval label', () => {
  const rows: Array<[interval: string, count: number, label: string]> = [
    ['month', 1, 'month'],
    ['year', 1, 'year'],
    ['week', 1, 'week'],
    ['day', 1, 'day'],
    ['month', 3, '3 months'],
    ['week', 2, '2 weeks'],
    ['year', 2, '2 years'],
    ['day', 14, '14 days'],
  ];
  for (const [interval, count, label] of rows) {
    it(`${count} × ${interval} → ${label}`, () =>
      assert.equal(intervalLabel({ interval, interval_count: count }), label));
  }
});
