import type Stripe from 'stripe';
import { decimalString } from './common';

export interface InvoiceLineFields {
  id: string;
  description: string;
  amount: number;
  quantity: number | null;
  price: Stripe.Price | null;
  period: { start: number; end: number };
  subscriptionItem: string | null;
}

export interface InvoiceFields {
  id: string;
  created: number;
  livemode: boolean;
  customer: Stripe.Customer;
  number: string;
  currency: string;
  subscription: string | null;
  billingReason: Stripe.Invoice.BillingReason;
  lines: InvoiceLineFields[];
  /** Discount ids and the amount each took off. */
  discounts: Array<{ id: string; amount: number }>;
  status: Stripe.Invoice.Status;
  attemptCount: number;
  description?: string | null;
}

export function buildInvoice(fields: InvoiceFields): Stripe.Invoice {
  const subtotal = fields.lines.reduce((sum, line) => sum + line.amount, 0);
  const discounted = fields.discounts.reduce((sum, discount) => sum + discount.amount, 0);
  const total = Math.max(0, subtotal - discounted);
  const paid = fields.status === 'paid';
  const finalized = fields.status !== 'draft';
  return {
    id: fields.id,
    object: 'invoice',
    account_country: 'US',
    account_name: 'Emulated Stripe account',
    account_tax_ids: null,
    amount_due: total,
    amount_overpaid: 0,
    amount_paid: paid ? total : 0,
    amount_remaining: paid ? 0 : total,
    amount_shipping: 0,
    application: null,
    attempt_count: fields.attemptCount,
    attempted: fields.attemptCount > 0,
    auto_advance: !paid,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
    automatically_finalizes_at: null,
    billing_reason: fields.billingReason,
    collection_method: 'charge_automatically',
    created: fields.created,
    currency: fields.currency,
    custom_fields: null,
    customer: fields.customer.id,
    customer_account: null,
    customer_address: null,
    customer_email: fields.customer.email,
    customer_name: fields.customer.name ?? null,
    customer_phone: null,
    customer_shipping: null,
    customer_tax_exempt: 'none',
    customer_tax_ids: [],
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: fields.description ?? null,
    discounts: fields.discounts.map((discount) => discount.id),
    due_date: null,
    effective_at: finalized ? fields.created : null,
    ending_balance: finalized ? 0 : null,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: finalized ? `https://invoice.stripe.com/i/emulated/${fields.id}` : null,
    invoice_pdf: finalized ? `https://pay.stripe.com/invoice/emulated/${fields.id}/pdf` : null,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: {
      object: 'list',
      data: fields.lines.map((line) => buildLine(fields, line)),
      has_more: false,
      url: `/v1/invoices/${fields.id}/lines`,
    },
    livemode: fields.livemode,
    metadata: {},
    next_payment_attempt: fields.status === 'open' ? fields.created + 3 * 86_400 : null,
    number: finalized ? fields.number : null,
    on_behalf_of: null,
    parent: fields.subscription
      ? {
          quote_details: null,
          subscription_details: { metadata: {}, subscription: fields.subscription },
          type: 'subscription_details',
        }
      : null,
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    // Stripe's invoice period is when invoice items accrued; subscription invoices carry none, so both are `created`.
    period_end: fields.created,
    period_start: fields.created,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status: fields.status,
    status_transitions: {
      finalized_at: finalized ? fields.created : null,
      marked_uncollectible_at: null,
      paid_at: paid ? fields.created : null,
      voided_at: null,
    },
    subtotal,
    subtotal_excluding_tax: subtotal,
    test_clock: null,
    total,
    total_discount_amounts: fields.discounts.map((discount) => ({ amount: discount.amount, discount: discount.id })),
    total_excluding_tax: total,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: fields.created,
  };
}

function buildLine(invoice: InvoiceFields, line: InvoiceLineFields): Stripe.InvoiceLineItem {
  return {
    id: line.id,
    object: 'line_item',
    amount: line.amount,
    currency: invoice.currency,
    description: line.description,
    discount_amounts: [],
    discountable: true,
    discounts: [],
    invoice: invoice.id,
    livemode: invoice.livemode,
    metadata: {},
    parent: line.subscriptionItem
      ? {
          invoice_item_details: null,
          subscription_item_details: {
            invoice_item: null,
            proration: false,
            proration_details: { credited_items: null },
            subscription: invoice.subscription,
            subscription_item: line.subscriptionItem,
          },
          type: 'subscription_item_details',
        }
      : null,
    period: line.period,
    pretax_credit_amounts: [],
    pricing: line.price
      ? {
          price_details: { price: line.price.id, product: productId(line.price) },
          type: 'price_details',
          unit_amount_decimal: line.price.unit_amount_decimal,
        }
      : null,
    quantity: line.quantity,
    quantity_decimal: line.quantity === null ? null : decimalString(line.quantity),
    subscription: invoice.subscription,
    subtotal: line.amount,
    taxes: [],
  };
}

function productId(price: Stripe.Price): string {
  return typeof price.product === 'string' ? price.product : price.product.id;
}
