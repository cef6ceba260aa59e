import assert from 'node:assert/strict';
import Stripe from 'stripe';
import { type StripeEmulator, seedCustomers, startStripeEmulator } from '../../emulators/stripe';

describe('Stripe emulator: admin HTTP API and seed generator', () => {
  let emulator: StripeEmulator;

  before(async () => {
    emulator = await startStripeEmulator({ port: 0, seed: 3, rateLimitPerSecond: 0 });
  });
  after(() => emulator.close());

  async function rpc(method: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${emulator.url}/_emulator/${method}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  }

  it('mirrors the programmatic admin over HTTP as JSON', async () => {
    const info = (await rpc('info')).body as { accountId: string; keys: { live: string } };
    assert.equal(info.accountId, emulator.accountId);
    assert.equal(info.keys.live, emulator.keys.live);

    const created = await rpc('createCustomer', { email: 'http@example.com', name: 'Over HTTP' });
    assert.equal(created.status, 200);
    const customer = created.body as Stripe.Customer;
    assert.match(customer.id, /^cus_/);
    const renamed = await rpc('updateCustomer', [customer.id, { name: 'Renamed' }]);
    assert.equal((renamed.body as Stripe.Customer).name, 'Renamed');
    const key = (await rpc('createApiKey', ['test'])).body as string;
    assert.match(key, /^sk_test_/);

    const invalid = await rpc('createCustomer', { email: 42 });
    assert.equal(invalid.status, 400);
    assert.equal((invalid.body as { error: { type: string } }).error.type, 'invalid_request_error');
    const missing = await rpc('updateCustomer', ['cus_nope', {}]);
    assert.equal(missing.status, 404);
    assert.equal((await rpc('noSuchMethod')).status, 404);

    const before = (await rpc('now')).body as number;
    const after = (await rpc('advanceClock', [3600])).body as number;
    assert.ok(after >= before + 3600);
    const stripe = new Stripe(emulator.keys.live, {
      host: '127.0.0.1',
      port: emulator.port,
      protocol: 'http',
      maxNetworkRetries: 0,
    });
    await stripe.customers.retrieve(customer.id);
    assert.deepEqual((await rpc('requestCounts')).body, { 'GET /v1/customers/:id': 1 });
    const state = (await rpc('state', ['live'])).body as { customers: Stripe.Customer[] };
    assert.ok(state.customers.some((entry) => entry.id === customer.id && entry.name === 'Renamed'));
  });

  it('seeds a deterministic, realistic mix of customers', async () => {
    const other = await startStripeEmulator({ port: 0, seed: 3 });
    try {
      const options = {
        customers: 400,
        seed: 9,
        withoutEmail: 12,
        sharedEmailPairs: 5,
        differentlyCasedPairs: 4,
        deleted: 6,
      };
      const seeded = seedCustomers(other, { ...options, mode: 'test' });
      assert.deepEqual(seedCustomers(other.admin, { ...options, seed: 9 }), seedCustomers(emulator, options));

      assert.equal(seeded.length, 400);
      assert.equal(seeded.filter((customer) => customer.email === null).length, 12);
      assert.equal(seeded.filter((customer) => customer.deleted).length, 6);
      const emails = seeded.flatMap((customer) => (customer.email === null ? [] : [customer.email]));
      assert.equal(emails.length - new Set(emails).size, 5, 'exact duplicates');
      assert.equal(
        emails.length - new Set(emails.map((email) => email.toLowerCase())).size,
        9,
        'duplicates once case is ignored',
      );

      const state = other.admin.state('test');
      assert.equal(state.customers.length, 394);
      assert.ok(state.customers.every((customer) => customer.livemode === false));
      const statuses = new Set(state.subscriptions.map((subscription) => subscription.status));
      for (const status of ['active', 'trialing', 'past_due', 'canceled', 'paused', 'unpaid'])
        assert.ok(statuses.has(status), status);
      assert.ok(state.subscriptions.some((subscription) => subscription.cancel_at_period_end));
      assert.ok(state.subscriptions.some((subscription) => subscription.items.data.length > 1));
      assert.ok(state.subscriptions.some((subscription) => subscription.discounts.length > 0));
      const currencies = new Set(state.customers.map((customer) => customer.currency));
      for (const currency of ['usd', 'eur', 'jpy']) assert.ok(currencies.has(currency), currency);
      const intervals = new Set(
        state.prices.map((price) => `${price.recurring?.interval_count}/${price.recurring?.interval}`),
      );
      for (const interval of ['1/week', '1/month', '3/month', '1/year']) assert.ok(intervals.has(interval), interval);
      assert.ok(state.prices.some((price) => price.tiers_mode === 'volume' && price.tiers?.length === 3));
      assert.ok(state.prices.some((price) => price.recurring?.usage_type === 'metered'));
      assert.ok(state.coupons.some((coupon) => coupon.percent_off !== null));
      assert.ok(state.coupons.some((coupon) => coupon.amount_off !== null));
      assert.ok(state.charges.some((charge) => charge.status === 'failed'));
      assert.ok(state.cards.length > 0 && state.paymentMethods.length > 0);
      const account = other.admin.account();
      assert.ok(state.customers.every((customer) => customer.created > (account.created ?? 0)));
      assert.equal(state.events.length, 0, 'seeding is silent unless asked');
    } finally {
      await other.close();
    }
  });

  it('seeds 10,000 customers that the SDK can page through', async function () {
    this.timeout(30_000);
    const big = await startStripeEmulator({ port: 0, seed: 4, rateLimitPerSecond: 0 });
    try {
      // How fast it seeds is the benchmarks' business (a timed assertion fails on a busy machine).
      const seeded = seedCustomers(big, { customers: 10_000 });
      assert.equal(seeded.length, 10_000);

      const stripe = new Stripe(big.keys.live, {
        host: '127.0.0.1',
        port: big.port,
        protocol: 'http',
        maxNetworkRetries: 0,
      });
      const page = await stripe.customers.list({
        limit: 100,
        expand: ['data.subscriptions', 'data.invoice_settings.default_payment_method'],
      });
      assert.equal(page.data.length, 100);
      assert.equal(page.has_more, true);
      assert.ok(page.data.every((customer) => customer.subscriptions?.object === 'list'));
    } finally {
      await big.close();
    }
  });
});
