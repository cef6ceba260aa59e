import assert from 'node:assert/strict';
import type { ContactJson, EventRecord } from '../../emulators/intercom';
import type { StripeAdmin } from '../../emulators/stripe';
import { encryptionKeyBytes } from '../../src/config';
import { createSecretBox } from '../../src/crypto/secret-box';
import { catchUpAllInstalls } from '../../src/activities/catch-up';
import { InstallContexts } from '../../src/activities/install-context';
import { testLogger } from '../support/config';
import { driftThroughApi } from '../support/faults';
import { startTestStack, type TestStack } from '../support/stack';
import { install, waitForQuiet, type LiveInstall } from '../support/live-sync';

/**
 * Issue 17's table: each row builds its Stripe state twice through the emulator's admin API, once before the install
 * (read by the import) and once after it (reaching the service only as Stripe's webhooks), then checks what Intercom
 * holds for both customers. Expected values are written by hand from the Stripe page cited in each row.
 */

const DAY = 86_400;

interface RowContext {
  admin: StripeAdmin;
  emitEvents: boolean;
  email: string;
}

interface Row {
  slug: string;
  name: string;
  /** The page the expected values are read from. */
  source: string;
  arrange(context: RowContext): string;
  expected: Record<string, unknown>;
  /** For the customer built after the install: the data events its webhooks must have given. */
  events?(events: EventRecord[]): void;
}

const prices = {
  pro: 'price_BillingPro',
  enterprise: 'price_BillingEnterprise',
  inclusive: 'price_BillingInclusive',
  exclusive: 'price_BillingExclusive',
  yen: 'price_BillingYenYearly',
};

function createCatalog(admin: StripeAdmin): void {
  const common = { emitEvents: false } as const;
  admin.createProduct({ ...common, id: 'prod_BillingPro', name: 'Pro' });
  admin.createProduct({ ...common, id: 'prod_BillingEnterprise', name: 'Enterprise' });
  const monthly = { ...common, currency: 'usd', interval: 'month' } as const;
  admin.createPrice({ ...monthly, id: prices.pro, product: 'prod_BillingPro', unitAmount: 4900, nickname: 'Pro' });
  admin.createPrice({
    ...monthly,
    id: prices.enterprise,
    product: 'prod_BillingEnterprise',
    unitAmount: 99900,
    nickname: 'Enterprise',
  });
  admin.createPrice({
    ...monthly,
    id: prices.inclusive,
    product: 'prod_BillingPro',
    unitAmount: 12000,
    taxBehavior: 'inclusive',
  });
  admin.createPrice({
    ...monthly,
    id: prices.exclusive,
    product: 'prod_BillingPro',
    unitAmount: 10000,
    taxBehavior: 'exclusive',
  });
  admin.createPrice({
    ...common,
    id: prices.yen,
    product: 'prod_BillingPro',
    currency: 'jpy',
    interval: 'year',
    unitAmount: 120000,
  });
}

const customer = (context: RowContext, currency = 'usd') =>
  context.admin.createCustomer({ email: context.email, currency, emitEvents: context.emitEvents }).id;

/** A customer whose card was held for 100.00 (`capture: false`) and 60.00 of it captured. */
function heldThenPartlyCaptured(context: RowContext): { customerId: string; chargeId: string } {
  const customerId = customer(context);
  const { admin, emitEvents } = context;
  const hold = admin.createCharge({ customer: customerId, amount: 10000, capture: false, emitEvents });
  admin.captureCharge(hold.id, { amount: 6000, emitEvents });
  return { customerId, chargeId: hold.id };
}

/** A customer with one subscription to `price`. */
const subscribedTo =
  (price: string) =>
  (context: RowContext): string => {
    const id = customer(context);
    context.admin.createSubscription({ customer: id, items: [{ price }], emitEvents: context.emitEvents });
    return id;
  };

const charged = (events: EventRecord[]) => events.filter((event) => event.event_name === 'stripe-charged');

const rows: Row[] = [
  {
    slug: 'partial-capture',
    name: 'authorized 100.00 (capture_method manual), captured 60.00: spent 60, last charge 60',
    source: 'https://docs.stripe.com/api/charges/object#charge_object-amount_captured',
    arrange: (context) => heldThenPartlyCaptured(context).customerId,
    expected: { STRIPE_total_spent: 60, STRIPE_last_charge_amount: 60, STRIPE_last_charge_failed: false },
    events(events) {
      // https://docs.stripe.com/api/events/types#event_types-charge.captured: the money is taken at the capture.
      assert.deepEqual(
        charged(events).map((event) => event.metadata.amount),
        [{ amount: 6000, currency: 'usd' }],
      );
    },
  },
  {
    slug: 'uncaptured',
    name: 'authorized 80.00, not captured: nothing spent, no last charge, no stripe-charged',
    source: 'https://docs.stripe.com/api/charges/object#charge_object-captured',
    arrange(context) {
      const id = customer(context);
      context.admin.createCharge({ customer: id, amount: 8000, capture: false, emitEvents: context.emitEvents });
      return id;
    },
    expected: { STRIPE_total_spent: 0, STRIPE_last_charge_amount: null, STRIPE_last_charge_at: null },
    events(events) {
      assert.deepEqual(charged(events), []);
    },
  },
  {
    slug: 'capture-then-refund',
    name: 'captured 60.00 of 100.00, then 10.00 refunded: spent 50; the refund event says 10.00',
    source: 'https://docs.stripe.com/api/charges/object#charge_object-amount_refunded',
    arrange(context) {
      const { customerId, chargeId } = heldThenPartlyCaptured(context);
      context.admin.refundCharge(chargeId, { amount: 1000, emitEvents: context.emitEvents });
      return customerId;
    },
    expected: { STRIPE_total_spent: 50, STRIPE_last_charge_amount: 60 },
    events(events) {
      const refunds = events.filter((event) => event.event_name === 'stripe-charge-refunded');
      assert.equal(refunds.length, 1);
      assert.deepEqual(refunds[0]?.metadata.refund_amount, { amount: 1000, currency: 'usd' });
      assert.deepEqual(refunds[0]?.metadata.amount_refunded, { amount: 1000, currency: 'usd' });
    },
  },
  {
    slug: 'zero-quantity',
    name: 'a quantity-0 Enterprise item ($999) beside 1 × Pro ($49): plan Pro, price 49, MRR 49',
    source: 'https://docs.stripe.com/products-prices/pricing-models#per-seat',
    arrange(context) {
      const id = customer(context);
      context.admin.createSubscription({
        customer: id,
        items: [
          { price: prices.enterprise, quantity: 0 },
          { price: prices.pro, quantity: 1 },
        ],
        emitEvents: context.emitEvents,
      });
      return id;
    },
    expected: { STRIPE_plan_name: 'Pro', STRIPE_plan_price: 49, STRIPE_mrr: 49 },
  },
  {
    slug: 'paused-collection',
    name: 'pause_collection (void) set on an active Pro subscription: still active, MRR 0, collection paused',
    source: 'https://docs.stripe.com/billing/subscriptions/pause-payment',
    arrange(context) {
      const id = customer(context);
      const { admin, emitEvents } = context;
      const subscription = admin.createSubscription({ customer: id, items: [{ price: prices.pro }], emitEvents });
      admin.updateSubscription(subscription.id, {
        pauseCollection: { behavior: 'void', resumesAt: admin.now() + 30 * DAY },
        emitEvents,
      });
      return id;
    },
    expected: {
      STRIPE_subscription_status: 'active',
      STRIPE_plan_price: 49,
      STRIPE_mrr: 0,
      STRIPE_collection_paused: true,
    },
  },
  {
    slug: 'tax-inclusive',
    name: 'tax_behavior inclusive $120/month: MRR 120 (the price already holds the tax)',
    source: 'https://docs.stripe.com/api/prices/object#price_object-tax_behavior',
    arrange: subscribedTo(prices.inclusive),
    expected: { STRIPE_mrr: 120, STRIPE_plan_price: 120 },
  },
  {
    slug: 'tax-exclusive',
    name: 'tax_behavior exclusive $100/month: MRR 100 (tax comes on top and is not revenue)',
    source: 'https://docs.stripe.com/api/prices/object#price_object-tax_behavior',
    arrange: subscribedTo(prices.exclusive),
    expected: { STRIPE_mrr: 100, STRIPE_plan_price: 100 },
  },
  {
    slug: 'yen-yearly',
    name: 'yearly ¥120,000 (zero-decimal), its first invoice paid, and a ¥5,000 charge: MRR 10,000, spent 125,000',
    source: 'https://docs.stripe.com/currencies#zero-decimal',
    arrange(context) {
      const id = customer(context, 'jpy');
      const { admin, emitEvents } = context;
      admin.createSubscription({ customer: id, items: [{ price: prices.yen }], emitEvents });
      admin.createCharge({ customer: id, amount: 5000, currency: 'jpy', emitEvents });
      return id;
    },
    expected: {
      STRIPE_mrr: 10000,
      STRIPE_plan_interval: 'year',
      STRIPE_total_spent: 125000,
    },
  },
];

const emailOf = (row: Row, tag: string) => `${row.slug}-${tag}@billing.example`;

function contactByEmail(contacts: ContactJson[], email: string): ContactJson {
  const found = contacts.filter((contact) => contact.email?.toLowerCase() === email.toLowerCase());
  assert.equal(found.length, 1, `exactly one Intercom contact for ${email}`);
  return found[0] as ContactJson;
}

describe('billing figures (issue 17): what Intercom holds after the import and after webhooks', function () {
  this.timeout(300_000);
  let stack: TestStack;
  let live: LiveInstall;

  before(async () => {
    stack = await startTestStack();
    const admin = stack.stripe.admin;
    createCatalog(admin);
    const workspace = stack.intercom.createWorkspace();
    for (const row of rows) row.arrange({ admin, emitEvents: false, email: emailOf(row, 'import') });
    live = await install(stack, { workspace });
    await waitForQuiet(stack, live.installId);
    for (const row of rows) row.arrange({ admin, emitEvents: true, email: emailOf(row, 'webhook') });
    await waitForQuiet(stack, live.installId);
  });
  after(() => stack?.close());

  for (const row of rows) {
    for (const tag of ['import', 'webhook'] as const) {
      it(`${row.name}: through the ${tag} (${row.source})`, () => {
        const snapshot = stack.intercom.workspace(live.workspaceId);
        const contact = contactByEmail(snapshot.contacts, emailOf(row, tag));
        const actual = Object.fromEntries(
          Object.keys(row.expected).map((key) => [key, contact.custom_attributes[key]]),
        );
        assert.deepEqual(actual, row.expected);
        if (tag === 'webhook' && row.events) {
          row.events(snapshot.events.filter((event) => event.contact_id === contact.id));
        }
      });
    }
  }

  it('answers drift as a job: 202 with its status URL, then the finished report one page at a time', async () => {
    const job = await driftThroughApi(stack, live.installId, { limit: 1 });
    assert.equal(job.report?.offset, 0);
    assert.ok((job.report?.drifted.length ?? 0) <= 1);
    assert.ok((job.report?.customersChecked ?? 0) >= rows.length * 2, JSON.stringify(job.progress));
    assert.equal(job.progress.customersListed, job.report?.customersChecked);
    const latest = (await (await stack.api(`/installs/${live.installId}/drift`)).json()) as { id: string };
    assert.equal(latest.id, job.id);
    const badLimit = await stack.api(`/installs/${live.installId}/drift/${job.id}?limit=0`);
    assert.equal(badLimit.status, 400);
    assert.equal(((await badLimit.json()) as { error: { field: string } }).error.field, 'limit');
    const unknown = await stack.api(`/installs/${live.installId}/drift/drf_unknown`);
    assert.equal(unknown.status, 404);
  });

  it('subscribes the webhook endpoint to charge.captured', () => {
    const [endpoint] = stack.stripe.admin.state().webhookEndpoints;
    assert.ok(endpoint?.enabled_events.includes('charge.captured'), JSON.stringify(endpoint?.enabled_events));
  });

  it('reads events that catch-up lists at an older account API version (invoice.subscription before invoice.parent)', async () => {
    // https://docs.stripe.com/api/events/list: "Each event data is rendered according to Stripe API version at its
    // creation time"; https://docs.stripe.com/changelog/basil/2025-03-31/adds-new-parent-field-to-invoicing-objects.
    const { admin } = stack.stripe;
    admin.setWebhooksPaused(true);
    admin.setDefaultApiVersion('2024-06-20');
    try {
      const email = 'catch-up-legacy@billing.example';
      const id = admin.createCustomer({ email, currency: 'usd' }).id;
      const subscription = admin.createSubscription({ customer: id, items: [{ price: prices.pro }] });
      const config = stack.config;
      const contexts = new InstallContexts({
        pool: stack.db.pool,
        config,
        secrets: createSecretBox(encryptionKeyBytes(config)),
      });
      await catchUpAllInstalls({ pool: stack.db.pool, contexts, workflows: stack.workflows, logger: testLogger() });
      await waitForQuiet(stack, live.installId, { deliveries: false });
      const snapshot = stack.intercom.workspace(live.workspaceId);
      const contact = contactByEmail(snapshot.contacts, email);
      const invoiceEvents = snapshot.events.filter(
        (event) => event.contact_id === contact.id && event.event_name === 'stripe-invoice-created',
      );
      assert.equal(invoiceEvents.length, 1);
      assert.equal(invoiceEvents[0]?.metadata.subscription_id, subscription.id);
      assert.equal(contact.custom_attributes.STRIPE_plan_name, 'Pro');
    } finally {
      admin.setDefaultApiVersion('2026-10-28.endive');
    }
  });
});
