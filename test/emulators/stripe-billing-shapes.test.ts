import assert from 'node:assert/strict';
import type Stripe from 'stripe';
import { type StripeEmulator, startStripeEmulator } from '../../emulators/stripe';
import { client } from '../support/stripe-sdk';

/**
 * The billing shapes of issue 17 as the official SDK reads them from the emulator; each expected value is what the
 * cited Stripe page documents.
 */
describe('Stripe emulator: captures, paused collection, tax behaviour and API versions (issue 17)', () => {
  let emulator: StripeEmulator;
  let stripe: Stripe;

  before(async () => {
    emulator = await startStripeEmulator({ port: 0, seed: 17, rateLimitPerSecond: 0, endpointRateLimitPerSecond: 0 });
    stripe = client(emulator);
  });
  after(() => emulator.close());

  const newCustomer = () => emulator.admin.createCustomer({ email: 'hold@example.com', currency: 'usd' }).id;
  const eventsOf = async (type: string, objectId: string) =>
    (await stripe.events.list({ type, limit: 100 })).data.filter(
      (event) => (event.data.object as { id?: string }).id === objectId,
    );

  it('an authorization (capture: false) is succeeded, not captured, and has taken nothing', async () => {
    // https://docs.stripe.com/api/charges/object#charge_object-captured
    const { id } = emulator.admin.createCharge({ customer: newCustomer(), amount: 10000, capture: false });
    const charge = await stripe.charges.retrieve(id);
    assert.equal(charge.status, 'succeeded');
    assert.equal(charge.captured, false);
    assert.equal(charge.amount, 10000);
    assert.equal(charge.amount_captured, 0);
    assert.equal(charge.balance_transaction, null);
    assert.equal((await eventsOf('charge.succeeded', id)).length, 1);
  });

  it('a partial capture of 60.00 of 100.00 releases 40.00 as a refund and emits charge.captured', async () => {
    // https://docs.stripe.com/api/charges/capture, https://docs.stripe.com/api/events/types#event_types-charge.captured
    const { id } = emulator.admin.createCharge({ customer: newCustomer(), amount: 10000, capture: false });
    emulator.admin.captureCharge(id, { amount: 6000 });
    const charge = await stripe.charges.retrieve(id);
    assert.equal(charge.captured, true);
    assert.equal(charge.amount_captured, 6000);
    assert.equal(charge.amount_refunded, 4000);
    assert.equal(charge.refunded, false);
    const refunds = await stripe.refunds.list({ charge: id });
    assert.deepEqual(
      refunds.data.map((refund) => refund.amount),
      [4000],
    );
    const [captured] = await eventsOf('charge.captured', id);
    assert.equal((captured?.data.object as Stripe.Charge).amount_captured, 6000);
    assert.deepEqual(captured?.data.previous_attributes, {
      amount_captured: 0,
      amount_refunded: 0,
      balance_transaction: null,
      captured: false,
    });
    assert.throws(() => emulator.admin.captureCharge(id), { status: 400, code: 'charge_already_captured' });
  });

  it('a refund after a partial capture can give back only what was captured', async () => {
    const { id } = emulator.admin.createCharge({ customer: newCustomer(), amount: 10000, capture: false });
    emulator.admin.captureCharge(id, { amount: 6000 });
    emulator.admin.refundCharge(id, { amount: 1000 });
    assert.equal((await stripe.charges.retrieve(id)).amount_refunded, 5000);
    assert.throws(() => emulator.admin.refundCharge(id, { amount: 6000 }), { status: 400, param: 'amount' });
    emulator.admin.refundCharge(id);
    const charge = await stripe.charges.retrieve(id);
    assert.equal(charge.amount_refunded, 10000);
    assert.equal(charge.refunded, true);
  });

  it('pause_collection leaves the subscription active and shows its behaviour and resume date', async () => {
    // https://docs.stripe.com/billing/subscriptions/pause-payment
    const product = emulator.admin.createProduct({ name: 'Paused plan' });
    const price = emulator.admin.createPrice({ product: product.id, unitAmount: 4900, interval: 'month' });
    const { id } = emulator.admin.createSubscription({ customer: newCustomer(), items: [{ price: price.id }] });
    const resumesAt = emulator.admin.now() + 10 * 86_400;
    emulator.admin.updateSubscription(id, { pauseCollection: { behavior: 'keep_as_draft', resumesAt } });
    const subscription = await stripe.subscriptions.retrieve(id);
    assert.equal(subscription.status, 'active');
    assert.deepEqual(subscription.pause_collection, { behavior: 'keep_as_draft', resumes_at: resumesAt });
    emulator.admin.updateSubscription(id, { pauseCollection: null });
    assert.equal((await stripe.subscriptions.retrieve(id)).pause_collection, null);
  });

  it('a price carries the tax_behavior it was created with, unspecified by default', async () => {
    // https://docs.stripe.com/api/prices/object#price_object-tax_behavior
    const product = emulator.admin.createProduct({ name: 'Taxed' });
    const inclusive = emulator.admin.createPrice({ product: product.id, unitAmount: 12000, taxBehavior: 'inclusive' });
    const plain = emulator.admin.createPrice({ product: product.id, unitAmount: 12000 });
    assert.equal((await stripe.prices.retrieve(inclusive.id)).tax_behavior, 'inclusive');
    assert.equal((await stripe.prices.retrieve(plain.id)).tax_behavior, 'unspecified');
  });

  it('lists each event at the API version of its creation: an older account default gives the older shapes', async () => {
    // https://docs.stripe.com/api/events/list,
    // https://docs.stripe.com/changelog/basil/2025-03-31/adds-new-parent-field-to-invoicing-objects
    const product = emulator.admin.createProduct({ name: 'Versioned' });
    const price = emulator.admin.createPrice({ product: product.id, unitAmount: 1500, interval: 'month' });
    const customer = newCustomer();
    const current = emulator.admin.createSubscription({ customer, items: [{ price: price.id }] });
    emulator.admin.setDefaultApiVersion('2024-06-20');
    const legacy = emulator.admin.createSubscription({ customer, items: [{ price: price.id }] });
    emulator.admin.setDefaultApiVersion('2026-10-28.endive');

    const [newEvent] = await eventsOf('customer.subscription.created', current.id);
    assert.equal(newEvent?.api_version, '2026-10-28.endive');
    const newItem = (newEvent?.data.object as Stripe.Subscription).items.data[0];
    assert.equal(typeof newItem?.current_period_start, 'number');

    const [oldEvent] = await eventsOf('customer.subscription.created', legacy.id);
    assert.equal(oldEvent?.api_version, '2024-06-20');
    const oldSubscription = oldEvent?.data.object as unknown as Record<string, unknown> & Stripe.Subscription;
    assert.equal(typeof oldSubscription.current_period_start, 'number');
    assert.equal(oldSubscription.items.data[0]?.current_period_start, undefined);

    const invoices = (await stripe.events.list({ type: 'invoice.created', limit: 100 })).data.filter(
      (event) => (event.data.object as Stripe.Invoice).customer === customer,
    );
    const oldInvoice = invoices.find((event) => event.api_version === '2024-06-20')?.data.object as unknown as Record<
      string,
      unknown
    >;
    assert.equal(oldInvoice.subscription, legacy.id);
    assert.equal('parent' in oldInvoice, false);
    const newInvoice = invoices.find((event) => event.api_version === '2026-10-28.endive')?.data
      .object as Stripe.Invoice;
    assert.equal(newInvoice.parent?.subscription_details?.subscription, current.id);
    assert.equal((await stripe.events.retrieve(oldEvent?.id ?? '')).api_version, '2024-06-20');
  });

  it('refuses an account default API version Stripe does not have', () => {
    assert.throws(() => emulator.admin.setDefaultApiVersion('2024-13-01'), { status: 400, param: 'version' });
  });
});
