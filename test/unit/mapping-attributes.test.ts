import assert from 'node:assert/strict';
import type Stripe from 'stripe';
import {
  ATTRIBUTE_DEFINITIONS,
  AttributeNameError,
  attributeDefinitions,
  cardExpiresAt,
  catalogFromLists,
  customerAttributes,
  EMPTY_CATALOG,
  isValidAttributeName,
  type CustomerAttributesInput,
} from '../../src/mapping';
import {
  cardPaymentMethod,
  cardSource,
  coupon,
  customer,
  DAY,
  deletedCustomer,
  discount,
  item,
  NOW,
  price,
  subscription,
} from './fixtures/stripe';

const base = { catalog: EMPTY_CATALOG, prefix: 'STRIPE_', metadataKeys: [], now: NOW } as const;
const attributesOf = (input: Partial<CustomerAttributesInput> & Pick<CustomerAttributesInput, 'customer'>) =>
  customerAttributes({ ...base, ...input });

describe('mapping: card expiry', () => {
  const rows: Array<[month: number, year: number, expected: number, instant: string]> = [
    [12, 2025, 1767225599, '2025-12-31T23:59:59Z (December rolls into January 2026)'],
    [2, 2024, 1709251199, '2024-02-29T23:59:59Z (leap year)'],
    [2, 2025, 1740787199, '2025-02-28T23:59:59Z'],
    [6, 2026, 1782863999, '2026-06-30T23:59:59Z'],
  ];
  for (const [month, year, expected, instant] of rows) {
    it(`${month}/${year} → ${expected}, ${instant}`, () => assert.equal(cardExpiresAt(month, year), expected));
  }
});

describe('mapping: attribute definitions', () => {
  it('creates the §4 table with the prefix, then one string per metadata key', () => {
    const definitions = attributeDefinitions('STRIPE_', ['plan tier', 'account-id']);
    assert.equal(definitions.length, ATTRIBUTE_DEFINITIONS.length + 2);
    assert.deepEqual(
      definitions.map(({ name, type }) => [name, type]),
      [
        ['STRIPE_id', 'string'],
        ['STRIPE_account_balance', 'float'],
        ['STRIPE_currency', 'string'],
        ['STRIPE_delinquent', 'boolean'],
        ['STRIPE_plan_name', 'string'],
        ['STRIPE_plan_price', 'float'],
        ['STRIPE_plan_interval', 'string'],
        ['STRIPE_subscription_status', 'string'],
        ['STRIPE_subscription_period_start', 'date'],
        ['STRIPE_card_brand', 'string'],
        ['STRIPE_card_expires_at', 'date'],
        ['STRIPE_last_charge_failed', 'boolean'],
        ['STRIPE_mrr', 'float'],
        ['STRIPE_subscription_count', 'integer'],
        ['STRIPE_trial_end', 'date'],
        ['STRIPE_cancel_at_period_end', 'boolean'],
        ['STRIPE_customer_since', 'date'],
        ['STRIPE_deleted', 'boolean'],
        ['STRIPE_email', 'string'],
        ['STRIPE_subscription_ended_at', 'date'],
        ['STRIPE_cancel_at', 'date'],
        ['STRIPE_payment_method_type', 'string'],
        ['STRIPE_last_charge_amount', 'float'],
        ['STRIPE_last_charge_at', 'date'],
        ['STRIPE_total_spent', 'float'],
        ['STRIPE_collection_paused', 'boolean'],
        ['STRIPE_collection_resumes_at', 'date'],
        ['STRIPE_meta_plan_tier', 'string'],
        ['STRIPE_meta_account-id', 'string'],
      ],
    );
    for (const { name } of definitions) assert.ok(isValidAttributeName(name), name);
  });

  it('sanitises metadata keys deterministically and refuses keys that would share a name', () => {
    assert.equal(attributeDefinitions('X_', ['a.b$c'])[ATTRIBUTE_DEFINITIONS.length]?.name, 'X_meta_a_b_c');
    assert.throws(() => attributeDefinitions('X_', ['a.b', 'a b']), AttributeNameError);
    assert.throws(() => attributeDefinitions('X_', ['']), AttributeNameError);
  });

  it('refuses a prefix Intercom would reject', () => {
    assert.throws(() => attributeDefinitions('STRIPE.', []), AttributeNameError);
    assert.equal(attributeDefinitions('', [])[0]?.name, 'id');
  });
});

describe('mapping: customer attributes', () => {
  const pro = price({ id: 'price_pro', product: 'prod_pro', unit_amount: 4900, nickname: null });
  const catalog = catalogFromLists([{ id: 'prod_pro', name: 'Pro' }], [], [coupon({ id: 'half', percent_off: 50 })]);

  it('maps a subscribed customer exactly (§4)', () => {
    const active = subscription({
      id: 'sub_pro',
      items: [item({ price: pro, quantity: 2, current_period_start: NOW - 5 * DAY })],
      discounts: [discount(coupon({ id: 'half', percent_off: 50 }))],
      trial_end: NOW - 30 * DAY,
      cancel_at_period_end: true,
    });
    const attributes = customerAttributes({
      customer: customer({
        balance: -1250,
        delinquent: true,
        metadata: { tier: 'gold', ignored: 'x' },
        invoice_settings: {
          custom_fields: null,
          default_payment_method: cardPaymentMethod('visa', 2, 2028),
          footer: null,
          rendering_options: null,
        },
        subscriptionList: [active],
      }),
      latestCharge: { status: 'failed', created: NOW - DAY },
      catalog,
      prefix: 'STRIPE_',
      metadataKeys: ['tier', 'missing'],
      now: NOW,
    });
    assert.deepEqual(attributes, {
      STRIPE_id: 'cus_1',
      STRIPE_email: 'ada@example.com',
      STRIPE_account_balance: -12.5, // -1250 cents
      STRIPE_currency: 'usd',
      STRIPE_delinquent: true,
      STRIPE_plan_name: 'Pro', // no nickname: product name from the catalog
      STRIPE_plan_price: 98, // 4900 × 2 = 9800 cents, before discounts
      STRIPE_plan_interval: 'month',
      STRIPE_subscription_status: 'active',
      STRIPE_subscription_period_start: NOW - 5 * DAY,
      STRIPE_subscription_ended_at: null,
      STRIPE_cancel_at: active.items.data[0]?.current_period_end ?? -1, // cancels at period end
      STRIPE_payment_method_type: 'card',
      STRIPE_card_brand: 'visa',
      STRIPE_card_expires_at: 1835481599, // 2028-02-29T23:59:59Z (leap year)
      STRIPE_last_charge_failed: true,
      STRIPE_mrr: 49, // 9800 × 50% = 4900 cents
      STRIPE_subscription_count: 1,
      STRIPE_trial_end: NOW - 30 * DAY,
      STRIPE_cancel_at_period_end: true,
      STRIPE_collection_paused: false,
      STRIPE_collection_resumes_at: null,
      STRIPE_customer_since: NOW - 365 * DAY,
      STRIPE_deleted: false,
      STRIPE_meta_tier: 'gold',
      STRIPE_meta_missing: null,
    });
  });

  it('clears every subscription and card attribute with an explicit null for a deleted customer', () => {
    assert.deepEqual(attributesOf({ customer: deletedCustomer('cus_gone') }), {
      STRIPE_id: 'cus_gone',
      STRIPE_plan_name: null,
      STRIPE_plan_price: null,
      STRIPE_plan_interval: null,
      STRIPE_subscription_status: null,
      STRIPE_subscription_period_start: null,
      STRIPE_subscription_ended_at: null,
      STRIPE_cancel_at: null,
      STRIPE_payment_method_type: null,
      STRIPE_card_brand: null,
      STRIPE_card_expires_at: null,
      STRIPE_trial_end: null,
      STRIPE_cancel_at_period_end: null,
      STRIPE_collection_paused: null,
      STRIPE_collection_resumes_at: null,
      STRIPE_mrr: 0,
      STRIPE_subscription_count: 0,
      STRIPE_deleted: true,
    });
  });

  it('shows a churned customer the last subscription that ended, status canceled, MRR 0', () => {
    const older = subscription({
      id: 'sub_old',
      status: 'canceled',
      ended_at: NOW - 90 * DAY,
      items: [item({ price: price({ nickname: 'Old', unit_amount: 900 }) })],
    });
    const last = subscription({
      id: 'sub_last',
      status: 'canceled',
      ended_at: NOW - 20 * DAY,
      items: [item({ price: price({ nickname: 'Pro', unit_amount: 4900 }) })],
    });
    const attributes = attributesOf({ customer: customer(), subscriptions: [last, older] });
    assert.equal(attributes.STRIPE_subscription_status, 'canceled');
    assert.equal(attributes.STRIPE_plan_name, 'Pro');
    assert.equal(attributes.STRIPE_plan_price, 49);
    assert.equal(attributes.STRIPE_subscription_ended_at, NOW - 20 * DAY);
    assert.equal(attributes.STRIPE_mrr, 0);
    assert.equal(attributes.STRIPE_subscription_count, 0);
    assert.equal(attributes.STRIPE_cancel_at, null);
  });

  it('names the plan after the priciest unit and prices every item: Pro $49 + 10 × $10 seats = 149', () => {
    const proItem = item({ id: 'si_pro', price: price({ nickname: 'Pro', unit_amount: 4900 }) });
    const seats = item({ id: 'si_seat', price: price({ nickname: 'Seat', unit_amount: 1000 }), quantity: 10 });
    const attributes = attributesOf({
      customer: customer(),
      subscriptions: [subscription({ items: [seats, proItem] })],
    });
    assert.equal(attributes.STRIPE_plan_name, 'Pro');
    assert.equal(attributes.STRIPE_plan_price, 149);
    assert.equal(attributes.STRIPE_mrr, 149);
  });

  it('reads the card that pays: subscription default first (Checkout), and none when SEPA pays', () => {
    const checkout = subscription({ default_payment_method: cardPaymentMethod('mastercard', 3, 2031) });
    const paid = attributesOf({ customer: customer(), subscriptions: [checkout] });
    assert.equal(paid.STRIPE_card_brand, 'mastercard');
    assert.equal(paid.STRIPE_payment_method_type, 'card');
    const sepa = {
      ...cardPaymentMethod('visa', 1, 2030),
      type: 'sepa_debit',
      card: undefined,
    } as unknown as Stripe.PaymentMethod;
    const sepaCustomer = customer({
      invoice_settings: { custom_fields: null, default_payment_method: sepa, footer: null, rendering_options: null },
      default_source: cardSource('Visa', 1, 2020),
    });
    const attributes = attributesOf({ customer: sepaCustomer, subscriptions: [subscription()] });
    assert.equal(attributes.STRIPE_payment_method_type, 'sepa_debit');
    assert.equal(attributes.STRIPE_card_brand, null);
    assert.equal(attributes.STRIPE_card_expires_at, null);
  });

  it('adds up succeeded charges minus refunds in the customer currency, and the last succeeded charge', () => {
    const attributes = attributesOf({
      customer: customer({ currency: 'jpy' }),
      charges: {
        lastSucceeded: { amount: 5000, currency: 'jpy', created: NOW - DAY },
        netByCurrency: { jpy: 12000, usd: 999 },
      },
    });
    assert.equal(attributes.STRIPE_total_spent, 12000);
    assert.equal(attributes.STRIPE_last_charge_amount, 5000);
    assert.equal(attributes.STRIPE_last_charge_at, NOW - DAY);
  });

  it('nulls the plan fields and reports 0 MRR without a subscription', () => {
    const attributes = attributesOf({ customer: customer(), latestCharge: null });
    for (const suffix of [
      'plan_name',
      'plan_price',
      'plan_interval',
      'subscription_status',
      'subscription_period_start',
      'trial_end',
      'cancel_at_period_end',
      'card_brand',
      'card_expires_at',
    ]) {
      assert.equal(attributes[`STRIPE_${suffix}`], null, suffix);
    }
    assert.equal(attributes.STRIPE_mrr, 0);
    assert.equal(attributes.STRIPE_subscription_count, 0);
    assert.equal(attributes.STRIPE_last_charge_failed, false);
  });

  it('prefers the price nickname to the product name, and labels multi-interval plans', () => {
    const quarterly = price({ nickname: 'Team (quarterly)', unit_amount: 15000, recurring: { interval_count: 3 } });
    const attributes = attributesOf({
      customer: customer({ subscriptionList: [subscription({ items: [item({ price: quarterly })] })] }),
      catalog,
    });
    assert.equal(attributes.STRIPE_plan_name, 'Team (quarterly)');
    assert.equal(attributes.STRIPE_plan_interval, '3 months');
    assert.equal(attributes.STRIPE_plan_price, 150);
    assert.equal(attributes.STRIPE_mrr, 50); // 15000 / 3 = 5000 cents
  });

  it('counts non-canceled subscriptions, shows the primary one and sums MRR of active + past_due', () => {
    const subscriptions = [
      subscription({
        id: 'sub_a',
        status: 'trialing',
        items: [item({ price: price({ unit_amount: 9900 }) })],
        trial_end: NOW + 7 * DAY,
      }),
      subscription({ id: 'sub_b', status: 'past_due', items: [item({ price: price({ unit_amount: 1500 }) })] }),
      subscription({ id: 'sub_c', status: 'canceled', items: [item({ price: price({ unit_amount: 99900 }) })] }),
    ];
    const attributes = attributesOf({ customer: customer(), subscriptions });
    assert.equal(attributes.STRIPE_subscription_count, 2);
    assert.equal(attributes.STRIPE_subscription_status, 'trialing');
    assert.equal(attributes.STRIPE_trial_end, NOW + 7 * DAY);
    assert.equal(attributes.STRIPE_mrr, 15); // only past_due 1500 cents counts
  });

  it('falls back to the default source card, and leaves card fields out when they were not expanded', () => {
    const withSource = attributesOf({ customer: customer({ default_source: cardSource('MasterCard', 12, 2030) }) });
    assert.equal(withSource.STRIPE_card_brand, 'mastercard', "legacy 'MasterCard' in payment-method codes");
    assert.equal(
      attributesOf({ customer: customer({ default_source: cardSource('American Express', 1, 2030) }) })
        .STRIPE_card_brand,
      'amex',
    );
    assert.equal(withSource.STRIPE_card_expires_at, 1924991999); // 2030-12-31T23:59:59Z

    const notExpanded = attributesOf({
      customer: customer({
        invoice_settings: {
          custom_fields: null,
          default_payment_method: 'pm_123',
          footer: null,
          rendering_options: null,
        },
      }),
    });
    assert.ok(!('STRIPE_card_brand' in notExpanded));
    assert.ok(!('STRIPE_card_expires_at' in notExpanded));
  });

  it('leaves last_charge_failed out when the latest charge is unknown, false when pending', () => {
    assert.ok(!('STRIPE_last_charge_failed' in attributesOf({ customer: customer() })));
    assert.equal(
      attributesOf({ customer: customer(), latestCharge: { status: 'pending', created: NOW } })
        .STRIPE_last_charge_failed,
      false,
    );
  });

  it('reads a JPY balance without dividing by 100, and truncates long metadata to 255 characters', () => {
    const attributes = attributesOf({
      customer: customer({ currency: 'jpy', balance: 5000, metadata: { note: 'n'.repeat(400) } }),
      metadataKeys: ['note'],
    });
    assert.equal(attributes.STRIPE_account_balance, 5000);
    assert.equal(attributes.STRIPE_meta_note, 'n'.repeat(255));
  });

  it('refuses to map a customer whose subscriptions were neither listed nor expanded', () => {
    assert.throws(() => attributesOf({ customer: customer({ subscriptions: undefined }) }));
  });

  it('uses a custom prefix everywhere', () => {
    const attributes = attributesOf({
      customer: customer({ metadata: { a: '1' } }),
      prefix: 'billing-',
      metadataKeys: ['a'],
    });
    assert.ok(Object.keys(attributes).every((name) => name.startsWith('billing-')));
    assert.equal(attributes['billing-meta_a'], '1');
  });
});
