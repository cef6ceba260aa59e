import assert from 'node:assert/strict';
import Stripe from 'stripe';
import { type StripeEmulator, startStripeEmulator } from '../../emulators/stripe';
import { client, rejection } from '../support/stripe-sdk';

const endpoint = (url: string, extra: Partial<Stripe.WebhookEndpointCreateParams> = {}) => ({
  url,
  enabled_events: ['customer.updated'] as Stripe.WebhookEndpointCreateParams.EnabledEvent[],
  ...extra,
});

describe('Stripe emulator: webhook endpoints are checked as Stripe checks them', () => {
  let emulator: StripeEmulator;
  let stripe: Stripe;

  before(async () => {
    emulator = await startStripeEmulator({ port: 0, seed: 21, rateLimitPerSecond: 0, endpointRateLimitPerSecond: 0 });
    stripe = client(emulator);
  });
  after(() => emulator.close());

  it('refuses local and private URLs, and plain HTTP in live mode, naming the url parameter', async () => {
    for (const url of ['http://localhost:3000/hook', 'https://127.0.0.1/hook', 'https://192.168.1.5/hook']) {
      const error = await rejection(stripe.webhookEndpoints.create(endpoint(url)));
      assert.equal(error.statusCode, 400, url);
      assert.equal(error.param, 'url', url);
      assert.match(error.message, /publicly accessible/, url);
    }
    const http = await rejection(stripe.webhookEndpoints.create(endpoint('http://hooks.example.com/stripe')));
    assert.equal(http.param, 'url');
    assert.match(http.message, /HTTPS/);
    const created = await stripe.webhookEndpoints.create(endpoint('https://hooks.example.com/stripe'));
    assert.equal(created.url, 'https://hooks.example.com/stripe');
  });

  it('refuses event types and API versions Stripe does not have', async () => {
    const unknownType = await rejection(
      stripe.webhookEndpoints.create(
        endpoint('https://hooks.example.com/a', {
          enabled_events: ['customer.updated', 'customer.subscription.upgraded'] as never,
        }),
      ),
    );
    assert.equal(unknownType.param, 'enabled_events[1]');
    const unknownVersion = await rejection(
      stripe.webhookEndpoints.create(
        endpoint('https://hooks.example.com/b', { api_version: '2026-13-01.nope' as never }),
      ),
    );
    assert.equal(unknownVersion.param, 'api_version');
    const pinned = await stripe.webhookEndpoints.create(
      endpoint('https://hooks.example.com/c', { api_version: '2026-10-28.endive', enabled_events: ['*'] }),
    );
    assert.equal(pinned.api_version, '2026-10-28.endive');
  });

  it('accepts local URLs when started with allowLocalWebhookUrls (tests)', async () => {
    const lenient = await startStripeEmulator({ port: 0, seed: 22, allowLocalWebhookUrls: true });
    try {
      const created = await client(lenient).webhookEndpoints.create(endpoint('http://127.0.0.1:9/hook'));
      assert.equal(created.url, 'http://127.0.0.1:9/hook');
    } finally {
      await lenient.close();
    }
  });
});

describe('Stripe emulator: 25 requests per second per endpoint', () => {
  it('answers 429 rate_limit past 25 calls a second to one endpoint, while another endpoint still answers', async () => {
    const emulator = await startStripeEmulator({ port: 0, seed: 23, rateLimitPerSecond: 0 });
    try {
      const stripe = client(emulator);
      const customer = emulator.admin.createCustomer({ email: 'rate@example.com', emitEvents: false });
      const results = await Promise.allSettled(
        Array.from({ length: 30 }, () => stripe.customers.retrieve(customer.id)),
      );
      const refused = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
      assert.ok(refused.length >= 5, `${refused.length} of 30 refused`);
      for (const error of refused) {
        assert.ok(error instanceof Stripe.errors.StripeError);
        assert.equal(error.statusCode, 429);
        assert.equal(error.code, 'rate_limit');
      }
      const list = await stripe.customers.list({ limit: 1 });
      assert.equal(list.data.length, 1, 'another endpoint has its own budget');
    } finally {
      await emulator.close();
    }
  });
});

describe('Stripe emulator: the shapes real accounts have', () => {
  let emulator: StripeEmulator;
  let stripe: Stripe;

  before(async () => {
    emulator = await startStripeEmulator({ port: 0, seed: 24, rateLimitPerSecond: 0, endpointRateLimitPerSecond: 0 });
    stripe = client(emulator);
  });
  after(() => emulator.close());

  it('lists canceled subscriptions with status=all, and expands item discounts and a deleted coupon', async () => {
    const { admin } = emulator;
    admin.createProduct({ id: 'prod_shape', name: 'Shape', emitEvents: false });
    admin.createPrice({
      id: 'price_shape',
      product: 'prod_shape',
      unitAmount: 1000,
      interval: 'month',
      emitEvents: false,
    });
    admin.createCoupon({ id: 'GONE', percentOff: 20, emitEvents: false });
    admin.createCoupon({ id: 'ITEM', percentOff: 50, emitEvents: false });
    const customer = admin.createCustomer({ email: 'shape@example.com', emitEvents: false });
    const method = admin.attachPaymentMethod({ customer: customer.id, expMonth: 1, expYear: 2031, setDefault: false });
    const live = admin.createSubscription({
      customer: customer.id,
      items: [{ price: 'price_shape', coupon: 'ITEM' }],
      coupon: 'GONE',
      defaultPaymentMethod: method.id,
      cancelAt: admin.now() + 86_400 * 10,
      emitEvents: false,
    });
    admin.createSubscription({ customer: customer.id, items: [{ price: 'price_shape' }], status: 'canceled' });
    admin.deleteCoupon('GONE', { emitEvents: false });

    assert.equal((await stripe.subscriptions.list({ customer: customer.id })).data.length, 1);
    const all = await stripe.subscriptions.list({
      customer: customer.id,
      status: 'all',
      expand: ['data.discounts.source.coupon', 'data.items.data.discounts', 'data.default_payment_method'],
    });
    assert.deepEqual(all.data.map((subscription) => subscription.status).sort(), ['active', 'canceled']);
    const expanded = all.data.find((subscription) => subscription.id === live.id) as Stripe.Subscription;
    const subscriptionCoupon = (expanded.discounts[0] as Stripe.Discount).source.coupon as Stripe.Coupon;
    assert.equal(subscriptionCoupon.percent_off, 20, 'a deleted coupon still renders inside the discount it made');
    assert.equal(subscriptionCoupon.valid, false);
    const itemDiscount = expanded.items.data[0]?.discounts[0] as Stripe.Discount;
    assert.equal(itemDiscount.source.coupon, 'ITEM');
    assert.equal(itemDiscount.subscription_item, expanded.items.data[0]?.id);
    assert.equal((expanded.default_payment_method as Stripe.PaymentMethod).id, method.id);
    assert.equal(expanded.cancel_at, live.cancel_at);
    assert.equal((await rejection(stripe.coupons.retrieve('GONE'))).statusCode, 404);
  });

  it('attaches SEPA debits, and renders legacy card brands for display', async () => {
    const { admin } = emulator;
    const customer = admin.createCustomer({ email: 'sepa@example.com', emitEvents: false });
    admin.addCardSource({ customer: customer.id, brand: 'visa', expMonth: 1, expYear: 2020, emitEvents: false });
    const sepa = admin.attachSepaDebit({ customer: customer.id, emitEvents: false });
    const read = await stripe.customers.retrieve(customer.id, {
      expand: ['invoice_settings.default_payment_method', 'default_source'],
    });
    assert.ok(!read.deleted);
    const method = read.invoice_settings.default_payment_method as Stripe.PaymentMethod;
    assert.equal(method.id, sepa.id);
    assert.equal(method.type, 'sepa_debit');
    assert.equal((read.default_source as Stripe.Card).brand, 'Visa');
  });

  it('records partial refunds on the charge: charge.refunded carries the total before in previous_attributes', () => {
    const { admin } = emulator;
    const customer = admin.createCustomer({ email: 'refund@example.com', emitEvents: false });
    const charge = admin.createCharge({ customer: customer.id, amount: 10000, emitEvents: false });
    admin.refundCharge(charge.id, { amount: 3000 });
    admin.refundCharge(charge.id, { amount: 2000 });
    const refunded = admin
      .state()
      .events.filter(
        (event) => event.type === 'charge.refunded' && (event.data.object as Stripe.Charge).id === charge.id,
      )
      .sort(
        (a, b) => (a.data.object as Stripe.Charge).amount_refunded - (b.data.object as Stripe.Charge).amount_refunded,
      );
    assert.deepEqual(
      refunded.map((event) => [
        (event.data.object as Stripe.Charge).amount_refunded,
        (event.data.previous_attributes as { amount_refunded: number }).amount_refunded,
      ]),
      [
        [3000, 0],
        [5000, 3000],
      ],
    );
  });
});
