import assert from 'node:assert/strict';
import type Stripe from 'stripe';
import { type StripeEmulator, startStripeEmulator } from '../../emulators/stripe';
import { client, rejection } from '../support/stripe-sdk';

const day = 86_400;

describe('Stripe emulator: API through the official SDK', () => {
  let emulator: StripeEmulator;
  let stripe: Stripe;

  before(async () => {
    emulator = await startStripeEmulator({ port: 0, seed: 11, rateLimitPerSecond: 0 });
    stripe = client(emulator, emulator.keys.live);
  });
  after(() => emulator.close());
  afterEach(() => emulator.setFaults({ latencyMs: 0, failureRate: 0, rateLimitPerSecond: 0 }));

  describe('customer lists', () => {
    const ids: string[] = [];
    let start: number;

    before(() => {
      start = emulator.admin.now() - 1000 * day;
      // 150 customers one day apart, created oldest first; `ids` ends up newest first, Stripe's list order.
      for (let i = 0; i < 150; i++) {
        const customer = emulator.admin.createCustomer({
          email: `page${i}@example.com`,
          created: start + i * day,
          emitEvents: false,
        });
        ids.unshift(customer.id);
      }
    });

    it('pages newest first with starting_after, ending_before and has_more over more than 100 customers', async () => {
      // Other tests add customers too; the range keeps to this block's 150.
      const created = { gte: start, lt: start + 150 * day };
      const first = await stripe.customers.list({ limit: 100, created });
      assert.deepEqual(
        first.data.map((customer) => customer.id),
        ids.slice(0, 100),
      );
      assert.equal(first.has_more, true);
      assert.equal(first.url, '/v1/customers');

      const second = await stripe.customers.list({ limit: 100, created, starting_after: first.data[99]?.id });
      assert.deepEqual(
        second.data.map((customer) => customer.id),
        ids.slice(100),
      );
      assert.equal(second.has_more, false);

      const back = await stripe.customers.list({ limit: 30, created, ending_before: second.data[0]?.id });
      assert.deepEqual(
        back.data.map((customer) => customer.id),
        ids.slice(70, 100),
      );
      assert.equal(back.has_more, true);

      const all = await stripe.customers.list({ limit: 40, created }).autoPagingToArray({ limit: 1000 });
      assert.deepEqual(
        all.map((customer) => customer.id),
        ids,
      );
    });

    it('rejects a limit outside 1..100 with the param named', async () => {
      for (const limit of [0, 101]) {
        const error = await rejection(stripe.customers.list({ limit }));
        assert.equal(error.statusCode, 400);
        assert.equal(error.type, 'StripeInvalidRequestError');
        assert.equal(error.param, 'limit');
      }
      const unknownCursor = await rejection(stripe.customers.list({ starting_after: 'cus_missing' }));
      assert.equal(unknownCursor.code, 'resource_missing');
      assert.equal(unknownCursor.param, 'starting_after');
    });

    it('filters by created range and exact email', async () => {
      const page = await stripe.customers.list({
        limit: 100,
        created: { gte: start + 140 * day, lt: start + 145 * day },
      });
      assert.deepEqual(
        page.data.map((customer) => customer.email),
        [
          'page144@example.com',
          'page143@example.com',
          'page142@example.com',
          'page141@example.com',
          'page140@example.com',
        ],
      );
      const byEmail = await stripe.customers.list({ email: 'page7@example.com' });
      assert.deepEqual(
        byEmail.data.map((customer) => customer.id),
        [ids[142]],
      );
      // Stripe's email filter is case-sensitive.
      assert.equal((await stripe.customers.list({ email: 'PAGE7@example.com' })).data.length, 0);
    });

    it('rejects unknown parameters with parameter_unknown and the param', async () => {
      const error = await rejection(stripe.customers.list({ limit: 3, colour: 'blue' } as Stripe.CustomerListParams));
      assert.equal(error.statusCode, 400);
      assert.equal(error.code, 'parameter_unknown');
      assert.equal(error.param, 'colour');
      const nested = await rejection(
        stripe.customers.list({ created: { after: 5 } } as unknown as Stripe.CustomerListParams),
      );
      assert.equal(nested.param, 'created[after]');
    });
  });

  describe('expansion', () => {
    let customerId: string;
    let legacyId: string;

    before(() => {
      const admin = emulator.admin;
      const product = admin.createProduct({ name: 'Expansion plan', emitEvents: false });
      const price = admin.createPrice({ product: product.id, unitAmount: 1500, interval: 'month', emitEvents: false });
      const tiered = admin.createPrice({
        product: product.id,
        interval: 'month',
        tiersMode: 'graduated',
        tiers: [
          { upTo: 10, unitAmount: 100 },
          { upTo: null, unitAmount: 50 },
        ],
        emitEvents: false,
      });
      const coupon = admin.createCoupon({ percentOff: 10, emitEvents: false });
      const customer = admin.createCustomer({ email: 'expand@example.com', emitEvents: false });
      customerId = customer.id;
      admin.attachPaymentMethod({
        customer: customer.id,
        brand: 'amex',
        expMonth: 4,
        expYear: 2031,
        emitEvents: false,
      });
      admin.createSubscription({
        customer: customer.id,
        items: [{ price: price.id }],
        coupon: coupon.id,
        emitEvents: false,
      });
      admin.createSubscription({
        customer: customer.id,
        items: [{ price: tiered.id, quantity: 12 }],
        emitEvents: false,
      });
      admin.createSubscription({
        customer: customer.id,
        items: [{ price: price.id }],
        status: 'canceled',
        emitEvents: false,
      });
      const legacy = admin.createCustomer({ email: 'legacy@example.com', emitEvents: false });
      legacyId = legacy.id;
      admin.addCardSource({ customer: legacy.id, brand: 'visa', expMonth: 1, expYear: 2030, emitEvents: false });
    });

    it('includes subscriptions only when expanded, without canceled ones', async () => {
      const plain = await stripe.customers.retrieve(customerId);
      assert.ok(!plain.deleted);
      assert.equal('subscriptions' in plain, false);
      assert.equal(typeof plain.invoice_settings.default_payment_method, 'string');

      const expanded = await stripe.customers.retrieve(customerId, {
        expand: ['subscriptions', 'invoice_settings.default_payment_method'],
      });
      assert.ok(!expanded.deleted);
      const subscriptions = expanded.subscriptions?.data ?? [];
      assert.equal(subscriptions.length, 2);
      assert.ok(subscriptions.every((subscription) => subscription.status === 'active'));
      const method = expanded.invoice_settings.default_payment_method as Stripe.PaymentMethod;
      assert.equal(method.object, 'payment_method');
      assert.equal(method.card?.brand, 'amex');
      assert.equal(method.card?.exp_year, 2031);

      const listed = (await stripe.customers.list({ email: 'expand@example.com' })).data[0];
      assert.equal(listed !== undefined && 'subscriptions' in listed, false);
    });

    it('expands the paths the import uses on a list, within four levels', async () => {
      const page = await stripe.customers.list({
        limit: 100,
        expand: [
          'data.subscriptions',
          'data.subscriptions.data.discounts',
          'data.invoice_settings.default_payment_method',
          'data.default_source',
        ],
      });
      const customer = page.data.find((candidate) => candidate.id === customerId);
      const discounted = customer?.subscriptions?.data.find((subscription) => subscription.discounts.length > 0);
      const discount = discounted?.discounts[0] as Stripe.Discount;
      assert.equal(discount.object, 'discount');
      // API 2025-09-30+: the coupon is an id under `source`, not an embedded object.
      assert.equal(discount.source.type, 'coupon');
      assert.equal(typeof discount.source.coupon, 'string');
      const item = discounted?.items.data[0];
      assert.equal(typeof item?.current_period_start, 'number');
      assert.equal(item?.price.recurring?.interval, 'month');

      const legacy = page.data.find((candidate) => candidate.id === legacyId);
      const source = legacy?.default_source as Stripe.Card;
      assert.equal(source.object, 'card');
      assert.equal(source.brand, 'Visa');
    });

    it('shows tiers only when expanded and refuses paths deeper than four levels', async () => {
      const subscriptions = await stripe.subscriptions.list({ customer: customerId });
      const tieredItem = subscriptions.data
        .flatMap((s) => s.items.data)
        .find((i) => i.price.billing_scheme === 'tiered');
      assert.ok(tieredItem);
      assert.equal(tieredItem.price.tiers, undefined);
      assert.equal(tieredItem.price.tiers_mode, 'graduated');
      const price = await stripe.prices.retrieve(tieredItem.price.id, { expand: ['tiers', 'product'] });
      assert.deepEqual(
        price.tiers?.map((tier) => [tier.up_to, tier.unit_amount]),
        [
          [10, 100],
          [null, 50],
        ],
      );
      assert.equal((price.product as Stripe.Product).name, 'Expansion plan');

      const tooDeep = await rejection(stripe.customers.list({ expand: ['data.subscriptions.data.discounts.source'] }));
      assert.equal(tooDeep.statusCode, 400);
      assert.equal(tooDeep.code, 'property_expansion_max_depth');
      const notExpandable = await rejection(stripe.customers.retrieve(customerId, { expand: ['email'] }));
      assert.equal(notExpandable.statusCode, 400);
    });
  });

  it('retrieves a deleted customer as a tombstone, lists it no more, and 404s unknown ids', async () => {
    const customer = emulator.admin.createCustomer({ email: 'gone@example.com', emitEvents: false });
    emulator.admin.deleteCustomer(customer.id, { emitEvents: false });
    assert.deepEqual(await stripe.customers.retrieve(customer.id), {
      id: customer.id,
      object: 'customer',
      deleted: true,
    });
    assert.equal((await stripe.customers.list({ email: 'gone@example.com' })).data.length, 0);

    const missing = await rejection(stripe.customers.retrieve('cus_doesnotexist'));
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.code, 'resource_missing');
    assert.equal(missing.type, 'StripeInvalidRequestError');
  });

  it('answers 401 for unknown and revoked keys, and accepts added keys', async () => {
    const unknown = await rejection(client(emulator, 'sk_live_notarealkey1234').customers.list());
    assert.equal(unknown.statusCode, 401);
    assert.equal(unknown.type, 'StripeAuthenticationError');
    assert.match(unknown.message, /^Invalid API Key provided: sk_live_\*+1234$/);

    const added = emulator.admin.createApiKey('live', { restricted: true });
    assert.match(added, /^rk_live_/);
    assert.equal((await client(emulator, added).customers.list({ limit: 1 })).object, 'list');
    emulator.admin.revokeKey(added);
    const revoked = await rejection(client(emulator, added).customers.list({ limit: 1 }));
    assert.equal(revoked.statusCode, 401);
    assert.equal(revoked.code, 'api_key_expired');

    const restricted = await client(emulator, emulator.keys.restricted).accounts.retrieveCurrent();
    assert.equal(restricted.id, emulator.accountId);
  });

  it('keeps live and test data apart, with livemode following the key', async () => {
    const live = emulator.admin.createCustomer({ email: 'mode@example.com', emitEvents: false });
    const test = emulator.admin.createCustomer({ mode: 'test', email: 'mode@example.com', emitEvents: false });
    const testStripe = client(emulator, emulator.keys.test);
    const seenByTest = await testStripe.customers.list({ email: 'mode@example.com' });
    assert.deepEqual(
      seenByTest.data.map((customer) => [customer.id, customer.livemode]),
      [[test.id, false]],
    );
    const seenByLive = await stripe.customers.list({ email: 'mode@example.com' });
    assert.deepEqual(
      seenByLive.data.map((customer) => [customer.id, customer.livemode]),
      [[live.id, true]],
    );
    assert.equal((await rejection(testStripe.customers.retrieve(live.id))).statusCode, 404);
  });

  it('answers 429 rate_limit over the per-mode budget, counting each mode apart', async () => {
    emulator.setFaults({ rateLimitPerSecond: { live: 100, test: 3 } });
    const testStripe = client(emulator, emulator.keys.test);
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => testStripe.customers.list({ limit: 1 })));
    const limited = results.filter((result) => result.status === 'rejected');
    assert.equal(results.length - limited.length, 3);
    for (const result of limited) {
      const error = (result as PromiseRejectedResult).reason as Stripe.errors.StripeError;
      assert.equal(error.statusCode, 429);
      assert.equal(error.type, 'StripeRateLimitError');
      assert.equal(error.code, 'rate_limit');
    }
    // Live has its own window.
    assert.equal((await stripe.customers.list({ limit: 1 })).object, 'list');
    await new Promise((resolve) => setTimeout(resolve, 1050));
    assert.equal((await testStripe.customers.list({ limit: 1 })).object, 'list');
  });

  it('injects 500 api_error failures and latency', async () => {
    emulator.setFaults({ failureRate: 1 });
    const error = await rejection(stripe.customers.list({ limit: 1 }));
    assert.equal(error.statusCode, 500);
    assert.equal(error.type, 'StripeAPIError');
    emulator.setFaults({ failureRate: 0, latencyMs: 150 });
    const started = Date.now();
    await stripe.customers.list({ limit: 1 });
    assert.ok(Date.now() - started >= 150, 'latency was not applied');
  });

  it('counts requests per endpoint', async () => {
    emulator.resetCounts();
    const customer = emulator.admin.createCustomer({ email: 'count@example.com', emitEvents: false });
    await stripe.customers.list({ limit: 1 });
    await stripe.customers.list({ limit: 2 });
    await stripe.customers.retrieve(customer.id);
    await rejection(client(emulator, 'sk_live_bad').customers.retrieve(customer.id));
    assert.deepEqual(emulator.requestCounts(), { 'GET /v1/customers': 2, 'GET /v1/customers/:id': 2 });
  });

  it('logs each request with its query parameters', async () => {
    emulator.resetCounts();
    const customer = emulator.admin.createCustomer({ email: 'log@example.com', emitEvents: false });
    await stripe.customers.list({ limit: 1, starting_after: customer.id });
    await stripe.customers.retrieve(customer.id);
    const log = emulator.requestLog();
    assert.deepEqual(
      log.map((entry) => [entry.endpoint, entry.query.starting_after ?? null, entry.query.limit ?? null]),
      [
        ['GET /v1/customers', customer.id, '1'],
        ['GET /v1/customers/:id', null, null],
      ],
    );
    emulator.resetCounts();
    assert.deepEqual(emulator.requestLog(), []);
  });

  it('lists subscriptions without canceled ones unless status=all, with periods on the items', async () => {
    const admin = emulator.admin;
    const product = admin.createProduct({ name: 'Subs', emitEvents: false });
    const annual = admin.createPrice({
      product: product.id,
      unitAmount: 12000,
      interval: 'year',
      nickname: 'Annual',
      emitEvents: false,
    });
    const customer = admin.createCustomer({ email: 'subs@example.com', emitEvents: false });
    const now = admin.now();
    const trial = admin.createSubscription({
      customer: customer.id,
      items: [{ price: annual.id, quantity: 3 }],
      trialDays: 14,
      emitEvents: false,
    });
    const pastDue = admin.createSubscription({
      customer: customer.id,
      items: [{ price: annual.id }],
      status: 'past_due',
      created: now - 400 * day,
      emitEvents: false,
    });
    const canceled = admin.createSubscription({
      customer: customer.id,
      items: [{ price: annual.id }],
      status: 'canceled',
      emitEvents: false,
    });

    const current = await stripe.subscriptions.list({ customer: customer.id });
    assert.deepEqual(new Set(current.data.map((subscription) => subscription.id)), new Set([trial.id, pastDue.id]));
    const all = await stripe.subscriptions.list({ customer: customer.id, status: 'all' });
    assert.equal(all.data.length, 3);
    assert.deepEqual(
      (await stripe.subscriptions.list({ customer: customer.id, status: 'canceled' })).data.map((s) => s.id),
      [canceled.id],
    );

    const trialing = await stripe.subscriptions.retrieve(trial.id);
    assert.equal(trialing.status, 'trialing');
    assert.equal(trialing.trial_end, (trialing.trial_start ?? 0) + 14 * day);
    const item = trialing.items.data[0];
    assert.equal(item?.quantity, 3);
    assert.equal(item?.price.nickname, 'Annual');
    assert.equal(item?.price.unit_amount, 12000);
    assert.equal(item?.price.product, product.id);
    assert.equal(item?.current_period_end, trialing.trial_end);

    const late = await stripe.subscriptions.retrieve(pastDue.id, { expand: ['latest_invoice'] });
    const lateItem = late.items.data[0];
    assert.ok(lateItem && lateItem.current_period_start <= now && now < lateItem.current_period_end);
    assert.ok(lateItem.current_period_start > late.created, 'the second yearly period has started');
    const invoice = late.latest_invoice as Stripe.Invoice;
    assert.equal(invoice.status, 'open');
    assert.equal(invoice.parent?.subscription_details?.subscription, pastDue.id);
    const invoices = await stripe.invoices.list({ subscription: pastDue.id });
    assert.deepEqual(
      invoices.data.map((entry) => entry.id),
      [invoice.id],
    );
  });

  it('lists charges newest first by customer and created, with refunds reflected', async () => {
    const admin = emulator.admin;
    const customer = admin.createCustomer({ email: 'charges@example.com', currency: 'jpy', emitEvents: false });
    const now = admin.now();
    const old = admin.createCharge({ customer: customer.id, amount: 5000, created: now - 40 * day, emitEvents: false });
    const failed = admin.createCharge({
      customer: customer.id,
      amount: 700,
      status: 'failed',
      failureCode: 'expired_card',
      created: now - 100,
      emitEvents: false,
    });
    const charges = await stripe.charges.list({ customer: customer.id });
    assert.deepEqual(
      charges.data.map((charge) => charge.id),
      [failed.id, old.id],
    );
    assert.equal(charges.data[0]?.status, 'failed');
    assert.equal(charges.data[0]?.failure_code, 'expired_card');
    assert.equal(charges.data[1]?.currency, 'jpy');
    const recent = await stripe.charges.list({ customer: customer.id, created: { gte: now - 35 * day } });
    assert.deepEqual(
      recent.data.map((charge) => charge.id),
      [failed.id],
    );

    admin.refundCharge(old.id, { amount: 2000, emitEvents: false });
    const partly = await stripe.charges.retrieve(old.id);
    assert.equal(partly.amount_refunded, 2000);
    assert.equal(partly.refunded, false);
    admin.refundCharge(old.id, { emitEvents: false });
    assert.equal((await stripe.charges.retrieve(old.id)).refunded, true);
  });

  it('serves payment methods, prices, products and the account', async () => {
    const admin = emulator.admin;
    const customer = admin.createCustomer({ email: 'pm@example.com', emitEvents: false });
    const method = admin.attachPaymentMethod({
      customer: customer.id,
      brand: 'mastercard',
      expMonth: 2,
      expYear: 2027,
      emitEvents: false,
    });
    assert.equal((await stripe.paymentMethods.retrieve(method.id)).card?.brand, 'mastercard');
    const listed = await stripe.customers.listPaymentMethods(customer.id, { type: 'card' });
    assert.deepEqual(
      listed.data.map((entry) => entry.id),
      [method.id],
    );

    const account = await stripe.accounts.retrieveCurrent();
    assert.equal(account.id, emulator.accountId);
    assert.ok((account.created ?? Infinity) < admin.now() - 365 * day);
  });

  describe('events', () => {
    it('lists events by type, types and created, newest first', async () => {
      const admin = emulator.admin;
      const customer = admin.createCustomer({ email: 'events@example.com' });
      admin.updateCustomer(customer.id, { name: 'Renamed' });
      const charge = admin.createCharge({ customer: customer.id, amount: 100 });

      const created = await stripe.events.list({ type: 'customer.created', limit: 100 });
      const event = created.data.find((entry) => (entry.data.object as Stripe.Customer).id === customer.id);
      assert.ok(event);
      assert.match(event.id, /^evt_/);
      assert.equal(event.object, 'event');
      assert.equal(event.api_version, '2026-10-28.endive');
      assert.equal(event.livemode, true);
      assert.equal(typeof event.created, 'number');
      assert.ok(event.request !== undefined && 'idempotency_key' in (event.request ?? {}));

      const family = await stripe.events.list({ type: 'customer.*', created: { gte: customer.created }, limit: 100 });
      const ours = family.data.filter((entry) => (entry.data.object as Stripe.Customer).id === customer.id);
      assert.deepEqual(
        ours.map((entry) => entry.type),
        ['customer.updated', 'customer.created'],
      );
      assert.deepEqual(ours[0]?.data.previous_attributes, { name: null });

      const chosen = await stripe.events.list({ types: ['charge.succeeded', 'customer.updated'], limit: 100 });
      assert.ok(chosen.data.every((entry) => entry.type === 'charge.succeeded' || entry.type === 'customer.updated'));
      assert.ok(chosen.data.some((entry) => (entry.data.object as Stripe.Charge).id === charge.id));
      assert.equal((await stripe.events.retrieve(event.id)).id, event.id);
    });

    it('only returns the last 30 days, following the emulator clock', async () => {
      const admin = emulator.admin;
      const now = admin.now();
      const old = admin.emitEvent({ type: 'customer.updated', object: { id: 'cus_old' }, created: now - 31 * day });
      const recent = admin.emitEvent({
        type: 'customer.updated',
        object: { id: 'cus_recent' },
        created: now - 29 * day,
      });
      const listed = await stripe.events.list({ type: 'customer.updated', limit: 100 });
      const ids = listed.data.map((entry) => entry.id);
      assert.ok(ids.includes(recent.id));
      assert.ok(!ids.includes(old.id));
      assert.equal((await rejection(stripe.events.retrieve(old.id))).statusCode, 404);

      admin.advanceClock(2 * day);
      const later = await stripe.events.list({ type: 'customer.updated', limit: 100 });
      assert.ok(!later.data.some((entry) => entry.id === recent.id));
      assert.equal((await rejection(stripe.events.retrieve(recent.id))).code, 'resource_missing');
    });
  });
});
