import assert from 'node:assert/strict';
import type Stripe from 'stripe';
import { classifyEvent, type Classification } from '../../src/webhooks/classify';
import type { InstallStatus } from '../../src/db/installs';

function stripeEvent(
  type: string,
  object: Record<string, unknown>,
  overrides: Omit<Partial<Stripe.Event>, 'type' | 'data'> & { data?: object } = {},
): Stripe.Event {
  return {
    id: 'evt_1',
    object: 'event',
    api_version: '2026-10-28.endive',
    created: 1_790_000_000,
    data: { object },
    livemode: true,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    ...overrides,
  } as Stripe.Event;
}

/** Installed before the events below (created 1_790_000_000). */
const installedAt = new Date(1_789_000_000_000);
const live = { livemode: true, status: 'live' as InstallStatus, createdAt: installedAt };
const customer = { id: 'cus_1', object: 'customer' };
const subscription = { id: 'sub_1', object: 'subscription', customer: 'cus_1' };
const charge = { id: 'ch_1', object: 'charge', customer: { id: 'cus_1', object: 'customer' } };
const invoice = { id: 'in_1', object: 'invoice', customer: 'cus_1' };

const ref = (refresh: boolean): Classification => ({
  kind: 'customer',
  ref: { eventId: 'evt_1', customerId: 'cus_1', refresh },
});

describe('events: classification of a verified event for an install', () => {
  const table: Array<[string, Stripe.Event, typeof live, Classification]> = [
    ['customer.updated refreshes the customer', stripeEvent('customer.updated', customer), live, ref(true)],
    ['customer.deleted refreshes the customer', stripeEvent('customer.deleted', customer), live, ref(true)],
    [
      'customer.subscription.created refreshes (and is a data event)',
      stripeEvent('customer.subscription.created', subscription),
      live,
      ref(true),
    ],
    ['charge.succeeded with an expanded customer refreshes', stripeEvent('charge.succeeded', charge), live, ref(true)],
    ['invoice.created is a data event only: no refresh', stripeEvent('invoice.created', invoice), live, ref(false)],
    [
      'charge.refunded refreshes (total spent is net of refunds)',
      stripeEvent('charge.refunded', charge),
      live,
      ref(true),
    ],
    [
      'customer.subscription.trial_will_end is a data event only',
      stripeEvent('customer.subscription.trial_will_end', { id: 'sub_1', object: 'subscription', customer: 'cus_1' }),
      live,
      ref(false),
    ],
    [
      'payment_method.detached finds the customer in previous_attributes',
      stripeEvent(
        'payment_method.detached',
        { id: 'pm_1', object: 'payment_method', customer: null },
        {
          data: {
            object: { id: 'pm_1', object: 'payment_method', customer: null },
            previous_attributes: { customer: 'cus_1' },
          },
        },
      ),
      live,
      ref(true),
    ],
    [
      'a test-mode event for a live install',
      stripeEvent('customer.updated', customer, { livemode: false }),
      live,
      { kind: 'ignored', reason: 'livemode_mismatch' },
    ],
    [
      'a live event for a test-mode install',
      stripeEvent('customer.updated', customer),
      { livemode: false, status: 'live', createdAt: installedAt },
      { kind: 'ignored', reason: 'livemode_mismatch' },
    ],
    [
      'a type we do not subscribe to',
      stripeEvent('payout.paid', { id: 'po_1', object: 'payout' }),
      live,
      { kind: 'ignored', reason: 'unhandled_type' },
    ],
    [
      'an event for a disabled install',
      stripeEvent('customer.updated', customer),
      { livemode: true, status: 'disabled', createdAt: installedAt },
      { kind: 'ignored', reason: 'install_disabled' },
    ],
    [
      'a customer event without a customer',
      stripeEvent('invoice.created', { id: 'in_2', object: 'invoice', customer: null }),
      live,
      { kind: 'ignored', reason: 'no_customer' },
    ],
    [
      'account.application.deauthorized',
      stripeEvent('account.application.deauthorized', { id: 'ca_1', object: 'application' }),
      live,
      { kind: 'deauthorize' },
    ],
    [
      'account.application.deauthorized again for an install already disabled (a retried delivery)',
      stripeEvent('account.application.deauthorized', { id: 'ca_1', object: 'application' }),
      { livemode: true, status: 'disabled', createdAt: installedAt },
      { kind: 'deauthorize' },
    ],
    [
      'a deauthorization from before the install (an earlier connection, listed again by a catch-up; issue 16)',
      stripeEvent('account.application.deauthorized', { id: 'ca_1', object: 'application' }),
      { ...live, createdAt: new Date(1_790_000_001_000) },
      { kind: 'ignored', reason: 'deauthorized_before_install' },
    ],
    [
      'a deauthorization from the second the install was made (an uninstall just before a re-install)',
      stripeEvent('account.application.deauthorized', { id: 'ca_1', object: 'application' }),
      { ...live, createdAt: new Date(1_790_000_000_900) },
      { kind: 'ignored', reason: 'deauthorized_before_install' },
    ],
    [
      'a deauthorization from the second after the install was made',
      stripeEvent('account.application.deauthorized', { id: 'ca_1', object: 'application' }),
      { ...live, createdAt: new Date(1_789_999_999_900) },
      { kind: 'deauthorize' },
    ],
    [
      'a test-mode deauthorization does not disable a live install',
      stripeEvent('account.application.deauthorized', { id: 'ca_1', object: 'application' }, { livemode: false }),
      live,
      { kind: 'ignored', reason: 'livemode_mismatch' },
    ],
    [
      'an importing install takes events (queued behind the import)',
      stripeEvent('customer.updated', customer),
      { livemode: true, status: 'importing', createdAt: installedAt },
      ref(true),
    ],
  ];

  for (const [name, event, install, expected] of table) {
    it(name, () => assert.deepEqual(classifyEvent(install, event), expected));
  }

  describe('catalog events', () => {
    it('product.updated carries the product for the mirror', () => {
      const product = { id: 'prod_1', object: 'product', name: 'Pro' };
      assert.deepEqual(classifyEvent(live, stripeEvent('product.updated', product)), {
        kind: 'catalog',
        object: { id: 'prod_1', kind: 'product', data: product },
      });
    });

    it('price.updated of a per-unit price carries the price', () => {
      const price = { id: 'price_1', object: 'price', billing_scheme: 'per_unit', unit_amount: 900 };
      assert.deepEqual(classifyEvent(live, stripeEvent('price.updated', price)), {
        kind: 'catalog',
        object: { id: 'price_1', kind: 'price', data: price },
      });
    });

    it('a tiered price without its tiers is not stored (it would erase the tiers the mirror has)', () => {
      const price = { id: 'price_2', object: 'price', billing_scheme: 'tiered' };
      assert.deepEqual(classifyEvent(live, stripeEvent('price.updated', price)), { kind: 'catalog', object: null });
    });

    it('coupon.updated has nothing for the catalog', () => {
      assert.deepEqual(classifyEvent(live, stripeEvent('coupon.updated', { id: 'co_1', object: 'coupon' })), {
        kind: 'catalog',
        object: null,
      });
    });

    it('a catalog event of the wrong mode is still ignored', () => {
      const product = { id: 'prod_1', object: 'product', name: 'Pro' };
      assert.deepEqual(classifyEvent(live, stripeEvent('product.updated', product, { livemode: false })), {
        kind: 'ignored',
        reason: 'livemode_mismatch',
      });
    });
  });
});
