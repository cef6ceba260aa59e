import type Stripe from 'stripe';

export interface ChargeCard {
  paymentMethod: string | null;
  brand: string;
  expMonth: number;
  expYear: number;
  last4: string;
  funding: string;
  country: string;
}

export interface ChargeFields {
  id: string;
  created: number;
  livemode: boolean;
  customer: string | null;
  amount: number;
  currency: string;
  description?: string | null;
  card: ChargeCard | null;
  receiptEmail?: string | null;
  /** Set for a failed charge (`card_declined`, `expired_card`, …). */
  failureCode?: string | null;
  failureMessage?: string | null;
  /**
   * False: authorize only (`capture: false` on https://docs.stripe.com/api/charges/create, `capture_method: manual` on
   * a PaymentIntent, https://docs.stripe.com/payments/place-a-hold-on-a-payment-method). The charge is `succeeded`
   * with `captured: false` and `amount_captured: 0` until it is captured
   * (https://docs.stripe.com/api/charges/object#charge_object-captured).
   */
  capture?: boolean;
}

const failureMessages: Record<string, string> = {
  card_declined: 'Your card was declined.',
  expired_card: 'Your card has expired.',
  incorrect_cvc: "Your card's security code is incorrect.",
  insufficient_funds: 'Your card has insufficient funds.',
  processing_error: 'An error occurred while processing your card. Try again in a little bit.',
};

export function buildCharge(fields: ChargeFields): Stripe.Charge {
  const failureCode = fields.failureCode ?? null;
  const failed = failureCode !== null;
  const captured = !failed && fields.capture !== false;
  return {
    id: fields.id,
    object: 'charge',
    amount: fields.amount,
    amount_captured: captured ? fields.amount : 0,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    // An authorization moves no money yet: its balance transaction comes with the capture.
    balance_transaction: captured ? balanceTransactionId(fields.id) : null,
    billing_details: { address: null, email: null, name: null, phone: null, tax_id: null },
    calculated_statement_descriptor: 'EMULATED',
    captured,
    created: fields.created,
    currency: fields.currency,
    customer: fields.customer,
    description: fields.description ?? null,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: failureCode,
    failure_message: failed
      ? (fields.failureMessage ?? failureMessages[failureCode] ?? 'Your card was declined.')
      : null,
    fraud_details: {},
    livemode: fields.livemode,
    metadata: {},
    on_behalf_of: null,
    outcome: {
      advice_code: null,
      network_advice_code: null,
      network_decline_code: null,
      network_status: failed ? 'declined_by_network' : 'approved_by_network',
      reason: failed ? (failureCode === 'card_declined' ? 'generic_decline' : failureCode) : null,
      risk_level: 'normal',
      seller_message: failed ? 'The bank did not return any further details with this decline.' : 'Payment complete.',
      type: failed ? 'issuer_declined' : 'authorized',
    },
    paid: !failed,
    payment_intent: null,
    payment_method: fields.card?.paymentMethod ?? null,
    payment_method_details: fields.card ? cardDetails(fields.card) : null,
    receipt_email: fields.receiptEmail ?? null,
    receipt_number: null,
    receipt_url: failed ? null : `https://pay.stripe.com/receipts/emulated/${fields.id}`,
    refunded: false,
    review: null,
    shipping: null,
    source: null,
    source_transfer: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: failed ? 'failed' : 'succeeded',
    transfer_data: null,
    transfer_group: null,
  };
}

export function balanceTransactionId(chargeId: string): string {
  return `txn_${chargeId.slice(3)}`;
}

function cardDetails(card: ChargeCard): Stripe.Charge.PaymentMethodDetails {
  return {
    type: 'card',
    card: {
      amount_authorized: null,
      authorization_code: null,
      brand: card.brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
      country: card.country,
      electronic_commerce_indicator: null,
      exp_month: card.expMonth,
      exp_year: card.expYear,
      funding: card.funding,
      installments: null,
      last4: card.last4,
      mandate: null,
      network: card.brand,
      network_transaction_id: null,
      regulated_status: 'unregulated',
      three_d_secure: null,
      transaction_link_id: null,
      wallet: null,
    },
  };
}

export interface RefundFields {
  id: string;
  created: number;
  charge: Stripe.Charge;
  amount: number;
  reason?: Stripe.Refund.Reason | null;
}

export function buildRefund(fields: RefundFields): Stripe.Refund {
  return {
    id: fields.id,
    object: 'refund',
    amount: fields.amount,
    balance_transaction: `txn_${fields.id.slice(3)}`,
    charge: fields.charge.id,
    created: fields.created,
    currency: fields.charge.currency,
    customer: fields.charge.customer,
    customer_account: null,
    metadata: {},
    payment_intent: null,
    payment_method: fields.charge.payment_method,
    reason: fields.reason ?? null,
    receipt_number: null,
    source_transfer_reversal: null,
    status: 'succeeded',
    transfer_reversal: null,
  };
}
