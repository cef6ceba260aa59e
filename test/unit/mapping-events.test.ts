import assert from 'node:assert/strict';
import type Stripe from 'stripe';
import {
  catalogFromLists,
  customerIdOfEvent,
  DATA_EVENT_TYPES,
  dataEventFor,
  EVENT_TYPES_AFFECTING_ATTRIBUTES,
  MAX_EVENT_METADATA_KEYS,
  SUBSCRIBED_EVENT_TYPES,
  subscriptionsOfEvent,
} from '../../src/mapping';
import { charge, customer, DAY, event, invoice, item, NOW, price, subscription } from './fixtures/stripe';

const catalog = catalogFromLists([{ id: 'prod_pro', name: 'Pro' }], []);
const proItem = item({
  price: price({ product: 'prod_pro', unit_amount: 4900, recurring: { interval: 'year' } }),
  quantity: 3,
});

describe('mapping: data events (§5)', () => {
  it('invoice.created → stripe-invoice-created with id, monetary amount due and status', () => {
    const created = event(
      'invoice.created',
      invoice({
        amount_due: 4900,
        status: 'open',
        hosted_invoice_url: 'https://invoice.stripe.com/i/1',
        parent: {
          type: 'subscription_details',
          quote_details: null,
          subscription_details: { metadata: null, subscription: 'sub_1' },
        },
      } as Partial<Stripe.Invoice>),
      { created: NOW - 60 },
    );
    assert.deepEqual(dataEventFor(created), {
      event_name: 'stripe-invoice-created',
      created_at: NOW - 60,
      metadata: {
        invoice_id: 'in_1',
        invoice_number: 'ABC-0001',
        amount_due: { amount: 4900, currency: 'usd' },
        status: 'open',
        billing_reason: 'subscription_cycle',
        subscription_id: 'sub_1',
        invoice_url: 'https://invoice.stripe.com/i/1',
      },
    });
  });

  it('customer.subscription.created → stripe-subscription-created with plan, price, interval and status', () => {
    const created = event(
      'customer.subscription.created',
      subscription({ id: 'sub_9', status: 'trialing', trial_end: NOW + 14 * DAY, items: [proItem] }),
    );
    assert.deepEqual(dataEventFor(created, { catalog }), {
      event_name: 'stripe-subscription-created',
      created_at: NOW,
      metadata: {
        subscription_id: 'sub_9',
        plan: 'Pro',
        price: { amount: 14700, currency: 'usd' }, // 4900 × 3 per year
        interval: 'year',
        quantity: 3,
        status: 'trialing',
        trial_end_date: NOW + 14 * DAY,
      },
    });
  });

  it('charge.succeeded → stripe-charged with amount, description and charge id', () => {
    assert.deepEqual(dataEventFor(event('charge.succeeded', charge({ amount: 2500, description: 'Pro plan' }))), {
      event_name: 'stripe-charged',
      created_at: NOW,
      metadata: { charge_id: 'ch_1', amount: { amount: 2500, currency: 'usd' }, description: 'Pro plan' },
    });
  });

  it('charge.refunded → stripe-charge-refunded with this refund and the total refunded (partial refunds)', () => {
    // Second partial refund: 30.00 refunded before, 20.00 now (previous_attributes.amount_refunded says what was).
    const refunded = event('charge.refunded', charge({ amount: 10000, amount_refunded: 5000, refunded: false }), {
      previousAttributes: { amount_refunded: 3000 },
    });
    assert.deepEqual(dataEventFor(refunded)?.metadata, {
      charge_id: 'ch_1',
      refund_amount: { amount: 2000, currency: 'usd' },
      amount_refunded: { amount: 5000, currency: 'usd' },
      amount: { amount: 10000, currency: 'usd' },
      fully_refunded: 'no',
      description: 'Pro plan',
    });
    assert.equal(dataEventFor(refunded)?.event_name, 'stripe-charge-refunded');
  });

  it('customer.subscription.updated → stripe-subscription-plan-changed from/to plan and MRR on a price or quantity change', () => {
    const basic = item({ price: price({ id: 'price_basic', nickname: 'Basic', unit_amount: 1000 }), quantity: 1 });
    const pro = item({ price: price({ id: 'price_pro', nickname: 'Pro', unit_amount: 4900 }), quantity: 2 });
    const changed = event('customer.subscription.updated', subscription({ id: 'sub_9', items: [pro] }), {
      previousAttributes: { items: { object: 'list', data: [basic], has_more: false, url: '/v1/subscription_items' } },
    });
    const dataEvent = dataEventFor(changed, { catalog });
    assert.equal(dataEvent?.event_name, 'stripe-subscription-plan-changed');
    assert.deepEqual(dataEvent?.metadata, {
      subscription_id: 'sub_9',
      from_plan: 'Basic',
      to_plan: 'Pro',
      from_mrr: { amount: 1000, currency: 'usd' },
      to_mrr: { amount: 9800, currency: 'usd' },
      from_quantity: 1,
      to_quantity: 2,
      interval: 'month',
      status: 'active',
    });
    // The catalog must hold the products and tiered prices of the items before the change too.
    assert.deepEqual(
      subscriptionsOfEvent(changed).map((sub) => sub.items.data[0]?.price.id),
      ['price_pro', 'price_basic'],
    );
    const metadataOnly = event('customer.subscription.updated', subscription({ items: [pro] }), {
      previousAttributes: { metadata: { a: '1' } },
    });
    assert.equal(
      dataEventFor(metadataOnly),
      null,
      'no data event when neither price, quantity nor cancellation changed',
    );
  });

  it('customer.subscription.updated → stripe-subscription-cancellation-scheduled when cancel_at is set', () => {
    const scheduled = event(
      'customer.subscription.updated',
      subscription({ cancel_at: NOW + 30 * DAY, items: [proItem] }),
      {
        previousAttributes: { cancel_at: null },
      },
    );
    const dataEvent = dataEventFor(scheduled, { catalog });
    assert.equal(dataEvent?.event_name, 'stripe-subscription-cancellation-scheduled');
    assert.equal(dataEvent?.metadata.cancel_at_date, NOW + 30 * DAY);
    assert.equal(dataEvent?.metadata.plan, 'Pro');
  });

  it('customer.subscription.trial_will_end → stripe-trial-will-end with plan and trial end', () => {
    const ending = event(
      'customer.subscription.trial_will_end',
      subscription({ status: 'trialing', trial_end: NOW + 3 * DAY, items: [proItem] }),
    );
    const dataEvent = dataEventFor(ending, { catalog });
    assert.equal(dataEvent?.event_name, 'stripe-trial-will-end');
    assert.equal(dataEvent?.metadata.trial_end_date, NOW + 3 * DAY);
    assert.equal(dataEvent?.metadata.plan, 'Pro');
  });

  it('customer.subscription.deleted → stripe-subscription-deleted with plan and cancel date', () => {
    const deleted = event(
      'customer.subscription.deleted',
      subscription({
        status: 'canceled',
        canceled_at: NOW - DAY,
        ended_at: NOW,
        cancellation_details: {
          comment: null,
          feedback: 'too_expensive',
          feedback_option: null,
          reason: 'cancellation_requested',
        },
        items: [proItem],
      }),
    );
    assert.deepEqual(dataEventFor(deleted, { catalog }), {
      event_name: 'stripe-subscription-deleted',
      created_at: NOW,
      metadata: {
        subscription_id: 'sub_1',
        plan: 'Pro',
        canceled_date: NOW - DAY,
        ended_date: NOW,
        cancellation_reason: 'cancellation_requested',
        cancellation_feedback: 'too_expensive',
        status: 'canceled',
      },
    });
  });

  it('charge.failed → stripe-charge-failed with amount and failure code', () => {
    const failed = event(
      'charge.failed',
      charge({ status: 'failed', failure_code: 'card_declined', failure_message: 'Your card was declined.' }),
    );
    assert.deepEqual(dataEventFor(failed), {
      event_name: 'stripe-charge-failed',
      created_at: NOW,
      metadata: {
        charge_id: 'ch_1',
        amount: { amount: 2500, currency: 'usd' },
        failure_code: 'card_declined',
        failure_message: 'Your card was declined.',
        description: 'Pro plan',
      },
    });
  });

  it('invoice.payment_failed → stripe-invoice-payment-failed with amount due and attempt count', () => {
    const failed = event(
      'invoice.payment_failed',
      invoice({
        amount_due: 990,
        currency: 'JPY',
        attempt_count: 2,
        next_payment_attempt: NOW + 3 * DAY,
        status: 'open',
      }),
    );
    assert.deepEqual(dataEventFor(failed), {
      event_name: 'stripe-invoice-payment-failed',
      created_at: NOW,
      metadata: {
        invoice_id: 'in_1',
        invoice_number: 'ABC-0001',
        amount_due: { amount: 99000, currency: 'jpy' }, // Intercom wants cents: ¥990 is 99000
        attempt_count: 2,
        next_attempt_date: NOW + 3 * DAY,
      },
    });
  });

  it('never sends a monetary amount Intercom would reject (zero), and converts three-decimal currencies to cents', () => {
    const free = dataEventFor(event('invoice.created', invoice({ amount_due: 0 })));
    assert.ok(free && !('amount_due' in free.metadata));
    const kwd = dataEventFor(event('charge.succeeded', charge({ amount: 12340, currency: 'kwd' })));
    assert.deepEqual(kwd?.metadata.amount, { amount: 1234, currency: 'kwd' }); // KWD 12.340
  });

  it('uses a custom event name prefix', () => {
    assert.equal(
      dataEventFor(event('charge.succeeded', charge()), { eventNamePrefix: 'billing-' })?.event_name,
      'billing-charged',
    );
  });

  it('keeps every event within 10 metadata keys and 255-character strings', () => {
    const long = 'x'.repeat(400);
    const events = [
      event('invoice.created', invoice({ hosted_invoice_url: long, number: long, due_date: NOW })),
      event('invoice.payment_failed', invoice({ hosted_invoice_url: long, next_payment_attempt: NOW })),
      event('customer.subscription.created', subscription({ trial_end: NOW, items: [proItem] })),
      event('customer.subscription.deleted', subscription({ canceled_at: NOW, ended_at: NOW })),
      event('charge.succeeded', charge({ description: long, receipt_url: long })),
      event('charge.captured', charge({ description: long, receipt_url: long })),
      event('charge.refunded', charge({ description: long, amount_refunded: 2500, refunded: true })),
      event('charge.failed', charge({ failure_code: long, failure_message: long, description: long })),
      event('customer.subscription.trial_will_end', subscription({ trial_end: NOW, items: [proItem] })),
      event('customer.subscription.updated', subscription({ cancel_at: NOW, items: [proItem] }), {
        previousAttributes: { cancel_at: null },
      }),
    ];
    for (const stripeEvent of events) {
      const dataEvent = dataEventFor(stripeEvent, { catalog });
      assert.ok(dataEvent, stripeEvent.type);
      const values = Object.values(dataEvent.metadata);
      assert.ok(values.length <= MAX_EVENT_METADATA_KEYS, stripeEvent.type);
      for (const value of values) if (typeof value === 'string') assert.ok(value.length <= 255, stripeEvent.type);
    }
    assert.equal(events.length, DATA_EVENT_TYPES.size);
  });

  it('names date metadata with a _date suffix, as Intercom requires for its date type', () => {
    const dataEvent = dataEventFor(
      event('customer.subscription.deleted', subscription({ canceled_at: NOW, ended_at: NOW })),
    );
    for (const [key, value] of Object.entries(dataEvent?.metadata ?? {})) {
      if (typeof value === 'number' && value >= NOW - DAY) assert.ok(key.endsWith('_date'), key);
    }
  });

  it('returns null for events that are not data events', () => {
    assert.equal(dataEventFor(event('customer.updated', customer())), null);
    assert.equal(dataEventFor(event('invoice.paid', invoice())), null);
  });
});

describe('mapping: event routing', () => {
  it('finds the customer of an event', () => {
    assert.equal(customerIdOfEvent(event('charge.succeeded', charge({ customer: 'cus_42' }))), 'cus_42');
    assert.equal(customerIdOfEvent(event('customer.updated', customer({ id: 'cus_7' }))), 'cus_7');
    assert.equal(
      customerIdOfEvent(event('customer.deleted', { id: 'cus_8', object: 'customer', deleted: true })),
      'cus_8',
    );
    assert.equal(
      customerIdOfEvent(
        event('customer.subscription.updated', subscription({ customer: customer({ id: 'cus_expanded' }) })),
      ),
      'cus_expanded',
    );
    assert.equal(
      customerIdOfEvent(
        event(
          'payment_method.detached',
          { id: 'pm_1', object: 'payment_method', customer: null },
          { previousAttributes: { customer: 'cus_was' } },
        ),
      ),
      'cus_was',
    );
    assert.equal(customerIdOfEvent(event('charge.succeeded', charge({ customer: null }))), null);
    assert.equal(customerIdOfEvent(event('product.updated', { id: 'prod_1', object: 'product' })), null);
  });

  it('subscribes to every data event, every attribute event and deauthorisation, sorted without duplicates', () => {
    for (const type of [...DATA_EVENT_TYPES, ...EVENT_TYPES_AFFECTING_ATTRIBUTES])
      assert.ok(SUBSCRIBED_EVENT_TYPES.includes(type), type);
    assert.ok(SUBSCRIBED_EVENT_TYPES.includes('account.application.deauthorized'));
    assert.deepEqual([...SUBSCRIBED_EVENT_TYPES], [...new Set(SUBSCRIBED_EVENT_TYPES)].sort());
  });
});
