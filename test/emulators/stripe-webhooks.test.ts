import assert from 'node:assert/strict';
import { type Server, createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { type StripeEmulator, startStripeEmulator } from '../../emulators/stripe';

interface Received {
  body: string;
  signature: string;
  event: Stripe.Event;
}

/** A webhook receiver that answers with the queued statuses (then 200) and keeps what it got. */
class Receiver {
  readonly received: Received[] = [];
  private statuses: number[] = [];
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        this.received.push({
          body,
          signature: String(request.headers['stripe-signature']),
          event: JSON.parse(body) as Stripe.Event,
        });
        response.statusCode = this.statuses.shift() ?? 200;
        response.end();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/webhooks`;
    return this;
  }

  failNext(...statuses: number[]): void {
    this.statuses.push(...statuses);
  }

  eventsOfType(type: string): Stripe.Event[] {
    return this.received.map((entry) => entry.event).filter((event) => event.type === type);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server?.close(() => resolve()));
  }
}

describe('Stripe emulator: webhooks', () => {
  let emulator: StripeEmulator;
  let stripe: Stripe;
  let receiver: Receiver;
  let endpoint: Stripe.WebhookEndpoint;

  before(async () => {
    emulator = await startStripeEmulator({
      port: 0,
      seed: 5,
      rateLimitPerSecond: 0,
      allowLocalWebhookUrls: true,
      webhook: { retryDelayMs: 20, maxAttempts: 3, concurrency: 1 },
    });
    stripe = new Stripe(emulator.keys.live, {
      host: '127.0.0.1',
      port: emulator.port,
      protocol: 'http',
      maxNetworkRetries: 0,
    });
  });
  after(() => emulator.close());

  beforeEach(async () => {
    receiver = await new Receiver().start();
    endpoint = await stripe.webhookEndpoints.create({
      url: receiver.url,
      enabled_events: ['*'],
      api_version: '2026-10-28.endive',
      description: 'test receiver',
      metadata: { install_id: 'ins_test' },
    });
  });
  afterEach(async () => {
    await stripe.webhookEndpoints.del(endpoint.id);
    emulator.admin.configureWebhooks({ duplicateProbability: 0, reorder: false });
    emulator.admin.setWebhooksPaused(false);
    await emulator.admin.waitForDeliveries();
    await receiver.close();
  });

  it('creates endpoints with a whsec_ secret and delivers signed events that constructEvent verifies', async () => {
    assert.match(endpoint.secret ?? '', /^whsec_/);
    const listed = await stripe.webhookEndpoints.list();
    const stored = listed.data.find((entry) => entry.id === endpoint.id);
    assert.equal(stored?.url, receiver.url);
    assert.equal(stored?.secret, undefined, 'the secret is only shown on create');

    const customer = emulator.admin.createCustomer({ email: 'hook@example.com', emitEvents: false });
    emulator.admin.updateCustomer(customer.id, { email: 'hooked@example.com' });
    await emulator.admin.waitForDeliveries();

    assert.equal(receiver.received.length, 1);
    const [delivery] = receiver.received;
    assert.ok(delivery);
    assert.match(delivery.signature, /^t=\d+,v1=[0-9a-f]{64}$/);
    const event = stripe.webhooks.constructEvent(delivery.body, delivery.signature, endpoint.secret ?? '');
    assert.equal(event.type, 'customer.updated');
    assert.equal((event.data.object as Stripe.Customer).email, 'hooked@example.com');
    assert.deepEqual(event.data.previous_attributes, { email: 'hook@example.com' });
    assert.equal(event.livemode, true);
    assert.throws(() => stripe.webhooks.constructEvent(delivery.body, delivery.signature, 'whsec_wrong'));

    // Delivered, so nothing is pending any more.
    assert.equal((await stripe.events.retrieve(event.id)).pending_webhooks, 0);
    assert.deepEqual(
      emulator.admin
        .deliveries()
        .filter((attempt) => attempt.eventId === event.id)
        .map((attempt) => attempt.outcome),
      ['succeeded'],
    );
  });

  it('retries after non-2xx answers and gives up after maxAttempts', async () => {
    receiver.failNext(500, 503);
    const customer = emulator.admin.createCustomer({ email: 'retry@example.com' });
    await emulator.admin.waitForDeliveries();
    const attempts = emulator.admin.deliveries().filter((attempt) => attempt.endpointId === endpoint.id);
    assert.deepEqual(
      attempts.map((attempt) => [attempt.attempt, attempt.httpStatus, attempt.outcome]),
      [
        [1, 500, 'failed'],
        [2, 503, 'failed'],
        [3, 200, 'succeeded'],
      ],
    );
    assert.ok(receiver.received.every((entry) => (entry.event.data.object as Stripe.Customer).id === customer.id));

    receiver.failNext(500, 500, 500);
    const given = emulator.admin.createCustomer({ email: 'giveup@example.com' });
    await emulator.admin.waitForDeliveries();
    const failed = emulator.admin
      .deliveries()
      .filter((attempt) => attempt.endpointId === endpoint.id && attempt.attempt === 3 && attempt.outcome === 'failed');
    assert.equal(failed.length, 1);
    assert.equal(failed[0]?.willRetry, false);
    const event = (await stripe.events.list({ type: 'customer.created', limit: 5 })).data.find(
      (entry) => (entry.data.object as Stripe.Customer).id === given.id,
    );
    assert.equal(event?.pending_webhooks, 1);
    assert.deepEqual(
      (await stripe.events.list({ delivery_success: false, limit: 100 })).data.map((entry) => entry.id),
      [event?.id],
    );
  });

  it('sends duplicates of the same event when the knob is on', async () => {
    emulator.admin.configureWebhooks({ duplicateProbability: 1, maxDuplicates: 2 });
    emulator.admin.createCustomer({ email: 'dup@example.com' });
    await emulator.admin.waitForDeliveries();
    const ids = receiver.received.map((entry) => entry.event.id);
    assert.equal(ids.length, 3);
    assert.equal(new Set(ids).size, 1);
    for (const entry of receiver.received) {
      assert.equal(stripe.webhooks.constructEvent(entry.body, entry.signature, endpoint.secret ?? '').id, ids[0]);
    }
  });

  it('reorders pending deliveries when asked', async () => {
    emulator.admin.configureWebhooks({ reorder: true });
    emulator.admin.setWebhooksPaused(true);
    const created = Array.from(
      { length: 12 },
      (_, i) => emulator.admin.createCustomer({ email: `order${i}@x.test` }).id,
    );
    await assert.rejects(emulator.admin.waitForDeliveries({ timeoutMs: 50 }), /pending/);
    assert.equal(receiver.received.length, 0, 'paused webhooks are not sent');
    emulator.admin.setWebhooksPaused(false);
    await emulator.admin.waitForDeliveries();
    const order = receiver.received.map((entry) => (entry.event.data.object as Stripe.Customer).id);
    assert.deepEqual([...order].sort(), [...created].sort());
    assert.notDeepEqual(order, created);
  });

  it('emits the events of subscription, charge and invoice mutations', async () => {
    const admin = emulator.admin;
    const product = admin.createProduct({ name: 'Webhook plan' });
    const price = admin.createPrice({ product: product.id, unitAmount: 2500, interval: 'month', nickname: 'Monthly' });
    const customer = admin.createCustomer({ email: 'lifecycle@example.com' });
    admin.attachPaymentMethod({ customer: customer.id, brand: 'visa', expMonth: 12, expYear: 2030 });
    const subscription = admin.createSubscription({ customer: customer.id, items: [{ price: price.id, quantity: 2 }] });
    admin.updateSubscription(subscription.id, { cancelAtPeriodEnd: true });
    admin.cancelSubscription(subscription.id);
    const failed = admin.createSubscription({
      customer: customer.id,
      items: [{ price: price.id }],
      status: 'past_due',
    });
    admin.failInvoicePayment(failed.latest_invoice as string);
    const charge = admin.createCharge({ customer: customer.id, amount: 900 });
    admin.refundCharge(charge.id);
    admin.deauthorizeApplication();
    await admin.waitForDeliveries();

    const types = receiver.received.map((entry) => entry.event.type);
    assert.deepEqual(types.slice(0, 11), [
      'product.created',
      'price.created',
      'customer.created',
      'payment_method.attached',
      'customer.updated',
      'customer.subscription.created',
      'invoice.created',
      'invoice.finalized',
      'charge.succeeded',
      'invoice.paid',
      'invoice.payment_succeeded',
    ]);
    const paid = receiver.eventsOfType('invoice.paid')[0]?.data.object as Stripe.Invoice;
    assert.equal(paid.amount_paid, 5000);
    const updated = receiver.eventsOfType('customer.subscription.updated')[0];
    assert.deepEqual(
      updated?.data.previous_attributes && 'cancel_at_period_end' in updated.data.previous_attributes,
      true,
    );
    assert.equal((updated?.data.object as Stripe.Subscription).cancel_at_period_end, true);
    assert.equal(
      (receiver.eventsOfType('customer.subscription.deleted')[0]?.data.object as Stripe.Subscription).status,
      'canceled',
    );

    const paymentFailures = receiver
      .eventsOfType('invoice.payment_failed')
      .map((event) => event.data.object as Stripe.Invoice);
    assert.deepEqual(
      paymentFailures.map((invoice) => invoice.attempt_count),
      [1, 2],
    );
    const chargeFailed = receiver.eventsOfType('charge.failed')[0]?.data.object as Stripe.Charge;
    assert.equal(chargeFailed.failure_code, 'card_declined');
    const delinquent = receiver.eventsOfType('customer.updated').map((event) => event.data.object as Stripe.Customer);
    assert.equal(delinquent.at(-1)?.delinquent, true);

    const refunded = receiver.eventsOfType('charge.refunded')[0];
    assert.equal((refunded?.data.object as Stripe.Charge).amount_refunded, 900);
    assert.deepEqual(refunded?.data.previous_attributes, { amount_refunded: 0, refunded: false });
    const deauthorized = receiver.eventsOfType('account.application.deauthorized')[0];
    assert.equal(deauthorized?.account, emulator.accountId);
    assert.equal((deauthorized?.data.object as Stripe.Application).object, 'application');
  });

  it('sends an event at the endpoint’s api_version, else at the version it was created at (the account default)', async () => {
    // https://docs.stripe.com/api/webhook_endpoints/create#create_webhook_endpoint-api_version; the older shape:
    // https://docs.stripe.com/changelog/basil/2025-03-31/adds-new-parent-field-to-invoicing-objects
    const unpinnedReceiver = await new Receiver().start();
    const unpinned = await stripe.webhookEndpoints.create({ url: unpinnedReceiver.url, enabled_events: ['*'] });
    emulator.admin.setDefaultApiVersion('2024-06-20');
    try {
      const customer = emulator.admin.createCustomer({ email: 'versions@example.com' });
      const product = emulator.admin.createProduct({ name: 'Versions' });
      const price = emulator.admin.createPrice({ product: product.id, unitAmount: 700, interval: 'month' });
      const subscription = emulator.admin.createSubscription({ customer: customer.id, items: [{ price: price.id }] });
      await emulator.admin.waitForDeliveries();
      const [pinnedInvoice] = receiver.eventsOfType('invoice.created');
      assert.equal(pinnedInvoice?.api_version, '2026-10-28.endive');
      assert.equal(
        (pinnedInvoice?.data.object as Stripe.Invoice).parent?.subscription_details?.subscription,
        subscription.id,
      );
      const [legacyInvoice] = unpinnedReceiver.eventsOfType('invoice.created');
      assert.equal(legacyInvoice?.api_version, '2024-06-20');
      const legacy = legacyInvoice?.data.object as unknown as Record<string, unknown>;
      assert.equal(legacy.subscription, subscription.id);
      assert.equal('parent' in legacy, false);
    } finally {
      emulator.admin.setDefaultApiVersion('2026-10-28.endive');
      await stripe.webhookEndpoints.del(unpinned.id);
      await unpinnedReceiver.close();
    }
  });

  it('delivers only to endpoints of the same mode subscribed to the type', async () => {
    const testStripe = new Stripe(emulator.keys.test, {
      host: '127.0.0.1',
      port: emulator.port,
      protocol: 'http',
      maxNetworkRetries: 0,
    });
    const testReceiver = await new Receiver().start();
    const testEndpoint = await testStripe.webhookEndpoints.create({
      url: testReceiver.url,
      enabled_events: ['customer.deleted'],
    });
    assert.equal(testEndpoint.livemode, false);
    try {
      emulator.admin.createCustomer({ email: 'live-only@example.com' });
      const testCustomer = emulator.admin.createCustomer({ mode: 'test', email: 'test@example.com' });
      emulator.admin.deleteCustomer(testCustomer.id);
      await emulator.admin.waitForDeliveries();
      assert.deepEqual(
        testReceiver.received.map((entry) => [entry.event.type, entry.event.livemode]),
        [['customer.deleted', false]],
      );
      assert.ok(receiver.received.every((entry) => entry.event.livemode));
    } finally {
      await testStripe.webhookEndpoints.del(testEndpoint.id);
      await testReceiver.close();
    }
  });
});
