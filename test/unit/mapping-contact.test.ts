import assert from 'node:assert/strict';
import { catalogFromLists, pickContactCustomer } from '../../src/mapping';
import { coupon, customer, DAY, deletedCustomer, discount, item, NOW, price, subscription } from './fixtures/stripe';

const plan = (unitAmount: number) => [item({ price: price({ unit_amount: unitAmount }) })];

describe('mapping: customer shown on a shared-email contact', () => {
  it('picks the customer whose primary subscription has the best status', () => {
    const trialing = customer({
      id: 'cus_trialing',
      created: NOW - DAY,
      subscriptionList: [subscription({ status: 'trialing', items: plan(90000) })],
    });
    const active = customer({
      id: 'cus_active',
      created: NOW - 900 * DAY,
      subscriptionList: [subscription({ status: 'active', items: plan(1000) })],
    });
    assert.equal(pickContactCustomer([trialing, active])?.id, 'cus_active');
  });

  it('on equal status, picks the higher MRR', () => {
    const small = customer({
      id: 'cus_small',
      created: NOW - DAY,
      subscriptionList: [subscription({ items: plan(1000) })],
    });
    const big = customer({
      id: 'cus_big',
      created: NOW - 99 * DAY,
      subscriptionList: [subscription({ items: plan(5000) })],
    });
    assert.equal(pickContactCustomer([small, big])?.id, 'cus_big');
  });

  it('values each customer with its own discount: $100 at 90% off (1000) loses to $20 (2000)', () => {
    const catalog = catalogFromLists([], [], [coupon({ id: 'pct90', percent_off: 90 })]);
    const discounted = customer({
      id: 'cus_discounted',
      discount: discount(coupon({ id: 'pct90', percent_off: 90 })),
      subscriptionList: [subscription({ items: plan(10000) })],
    });
    const fullPrice = customer({ id: 'cus_full', subscriptionList: [subscription({ items: plan(2000) })] });
    assert.equal(pickContactCustomer([discounted, fullPrice], { catalog, now: NOW })?.id, 'cus_full');
  });

  it('prefers any subscription to none', () => {
    const none = customer({ id: 'cus_none', created: NOW });
    const unpaid = customer({
      id: 'cus_unpaid',
      created: NOW - 500 * DAY,
      subscriptionList: [subscription({ status: 'unpaid', items: plan(1000) })],
    });
    assert.equal(pickContactCustomer([none, unpaid])?.id, 'cus_unpaid');
  });

  it('without subscriptions on either side, picks the newest customer', () => {
    const older = customer({ id: 'cus_older', created: NOW - 10 * DAY });
    const newer = customer({ id: 'cus_newer', created: NOW - DAY });
    assert.equal(pickContactCustomer([older, newer])?.id, 'cus_newer');
    assert.equal(pickContactCustomer([newer, older])?.id, 'cus_newer');
  });

  it('on identical subscriptions, picks the newest customer', () => {
    const older = customer({ id: 'cus_older', created: NOW - 10 * DAY, subscriptionList: [subscription()] });
    const newer = customer({ id: 'cus_newer', created: NOW - DAY, subscriptionList: [subscription()] });
    assert.equal(pickContactCustomer([older, newer])?.id, 'cus_newer');
  });

  it('settles a full tie by id, whatever the input order', () => {
    const a = customer({ id: 'cus_a' });
    const b = customer({ id: 'cus_b' });
    assert.equal(pickContactCustomer([a, b])?.id, pickContactCustomer([b, a])?.id);
  });

  it('lets deleted customers lose to live ones, and still returns one when all are deleted', () => {
    const live = customer({ id: 'cus_live', created: NOW - 900 * DAY });
    assert.equal(pickContactCustomer([deletedCustomer('cus_x'), live])?.id, 'cus_live');
    assert.equal(pickContactCustomer([deletedCustomer('cus_x')])?.id, 'cus_x');
    assert.equal(pickContactCustomer([]), null);
  });

  it('accepts records that carry the customer (mirror rows) and returns the record', () => {
    const rows = [
      { customerId: 'cus_old', customer: customer({ id: 'cus_old', created: NOW - 9 * DAY }), subscriptions: [] },
      { customerId: 'cus_new', customer: customer({ id: 'cus_new', created: NOW - DAY }), subscriptions: [] },
    ];
    assert.equal(pickContactCustomer(rows), rows[1]);
  });
});
