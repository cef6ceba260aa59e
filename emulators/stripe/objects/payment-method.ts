import type Stripe from 'stripe';

export interface CardFields {
  id: string;
  created: number;
  livemode: boolean;
  customer: string;
  brand: string;
  expMonth: number;
  expYear: number;
  last4: string;
  funding: string;
  country: string;
}

/** A `card` PaymentMethod attached to a customer (the modern way; referenced by `invoice_settings`). */
export function buildCardPaymentMethod(fields: CardFields): Stripe.PaymentMethod {
  return {
    id: fields.id,
    object: 'payment_method',
    allow_redisplay: 'unspecified',
    billing_details: { address: null, email: null, name: null, phone: null, tax_id: null },
    card: {
      brand: fields.brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
      country: fields.country,
      display_brand: fields.brand,
      exp_month: fields.expMonth,
      exp_year: fields.expYear,
      fingerprint: `fp${fields.id.slice(3, 17)}`,
      funding: fields.funding,
      generated_from: null,
      last4: fields.last4,
      networks: { available: [fields.brand], preferred: null },
      regulated_status: 'unregulated',
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
    created: fields.created,
    customer: fields.customer,
    customer_account: null,
    livemode: fields.livemode,
    metadata: {},
    type: 'card',
  };
}

export interface SepaDebitFields {
  id: string;
  created: number;
  livemode: boolean;
  customer: string;
  last4: string;
  country: string;
}

/** A `sepa_debit` PaymentMethod (https://docs.stripe.com/api/payment_methods/object#payment_method_object-sepa_debit). */
export function buildSepaDebitPaymentMethod(fields: SepaDebitFields): Stripe.PaymentMethod {
  return {
    id: fields.id,
    object: 'payment_method',
    allow_redisplay: 'unspecified',
    billing_details: { address: null, email: null, name: null, phone: null, tax_id: null },
    sepa_debit: {
      bank_code: '37040044',
      branch_code: null,
      country: fields.country,
      fingerprint: `fp${fields.id.slice(3, 17)}`,
      generated_from: null,
      last4: fields.last4,
    },
    created: fields.created,
    customer: fields.customer,
    customer_account: null,
    livemode: fields.livemode,
    metadata: {},
    type: 'sepa_debit',
  } as Stripe.PaymentMethod;
}

/** A legacy card source (`card_…`), what older integrations left in `customer.default_source`. */
export function buildCardSource(fields: CardFields): Stripe.Card {
  return {
    id: fields.id,
    object: 'card',
    address_city: null,
    address_country: null,
    address_line1: null,
    address_line1_check: null,
    address_line2: null,
    address_state: null,
    address_zip: null,
    address_zip_check: null,
    brand: brandLabel(fields.brand),
    country: fields.country,
    customer: fields.customer,
    cvc_check: 'pass',
    dynamic_last4: null,
    exp_month: fields.expMonth,
    exp_year: fields.expYear,
    fingerprint: `fp${fields.id.slice(5, 19)}`,
    funding: fields.funding,
    last4: fields.last4,
    metadata: {},
    name: null,
    regulated_status: 'unregulated',
    tokenization_method: null,
  };
}

/** Sources spell brands for display ("Visa", "American Express"); PaymentMethods use codes ("visa", "amex"). */
function brandLabel(brand: string): string {
  const labels: Record<string, string> = {
    amex: 'American Express',
    diners: 'Diners Club',
    discover: 'Discover',
    jcb: 'JCB',
    mastercard: 'MasterCard',
    unionpay: 'UnionPay',
    visa: 'Visa',
  };
  return labels[brand] ?? 'Unknown';
}
