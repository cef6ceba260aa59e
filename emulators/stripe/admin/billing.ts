import type Stripe from 'stripe';
import { type DataSet } from '../dataset';
import { buildCharge, type ChargeCard } from '../objects/charge';
import { buildInvoice, type InvoiceLineFields } from '../objects/invoice';
import { type AdminContext, emitIf, updateAndEmit } from './context';

/** The card a charge would use: the default payment method, else the default source. */
function defaultCard(data: DataSet, customer: Stripe.Customer, paymentMethod?: string): ChargeCard | null {
  const methodId = paymentMethod ?? (customer.invoice_settings.default_payment_method as string | null);
  const method = methodId === null ? undefined : data.paymentMethods.get(methodId);
  if (method?.card !== undefined) {
    const card = method.card;
    return {
      paymentMethod: method.id,
      brand: card.brand,
      expMonth: card.exp_month,
      expYear: card.exp_year,
      last4: card.last4,
      funding: card.funding,
      country: card.country ?? 'US',
    };
  }
  const source = data.cards.get(paymentMethod ?? (customer.default_source as string | null) ?? '');
  if (source === undefined) return null;
  return {
    paymentMethod: source.id,
    brand: source.brand.toLowerCase().replace(/\s+/g, '_'),
    expMonth: source.exp_month,
    expYear: source.exp_year,
    last4: source.last4,
    funding: source.funding,
    country: source.country ?? 'US',
  };
}

export interface ChargeRequest {
  customer: Stripe.Customer;
  amount: number;
  currency: string;
  created: number;
  description?: string | null;
  paymentMethod?: string;
  failureCode?: string | null;
  failureMessage?: string;
  /** False: authorize only, capture later (see ChargeFields.capture). */
  capture?: boolean;
}

/** Records a charge (no event): the caller announces it in the order Stripe would. */
export function recordCharge(context: AdminContext, data: DataSet, request: ChargeRequest): Stripe.Charge {
  const charge = buildCharge({
    id: context.ids.next('ch'),
    created: request.created,
    livemode: data.livemode,
    customer: request.customer.id,
    amount: request.amount,
    currency: request.currency,
    description: request.description,
    card: defaultCard(data, request.customer, request.paymentMethod),
    receiptEmail: request.customer.email,
    failureCode: request.failureCode,
    failureMessage: request.failureMessage,
    capture: request.capture,
  });
  return data.charges.insert(charge);
}

export function announceCharge(context: AdminContext, enabled: boolean, data: DataSet, charge: Stripe.Charge): void {
  emitIf(context, enabled, data, charge.status === 'failed' ? 'charge.failed' : 'charge.succeeded', charge);
}

/** A failed automatic payment makes the customer delinquent, which Stripe reports as `customer.updated`. */
export function markDelinquent(
  context: AdminContext,
  enabled: boolean,
  data: DataSet,
  customer: Stripe.Customer,
): void {
  if (customer.delinquent === true) return;
  updateAndEmit(context, enabled, data, 'customer.updated', customer, (target) => {
    target.delinquent = true;
  });
}

export interface InvoiceRequest {
  customer: Stripe.Customer;
  subscription: string | null;
  currency: string;
  created: number;
  billingReason: Stripe.Invoice.BillingReason;
  lines: Array<Omit<InvoiceLineFields, 'id'>>;
  discounts: Array<{ id: string; amount: number }>;
  /** `paid` and `failed` also record the charge that paid or failed to pay it. */
  outcome: 'paid' | 'failed' | 'open' | 'draft' | 'void';
  attemptCount?: number;
  failureCode?: string;
  description?: string | null;
}

export interface IssuedInvoice {
  invoice: Stripe.Invoice;
  charge: Stripe.Charge | null;
}

/** Records an invoice and its payment attempt without events, so callers can link it before announcing. */
export function issueInvoice(context: AdminContext, data: DataSet, request: InvoiceRequest): IssuedInvoice {
  const customer = request.customer;
  const sequence = customer.next_invoice_sequence ?? 1;
  customer.next_invoice_sequence = sequence + 1;
  const status: Stripe.Invoice.Status =
    request.outcome === 'paid' ? 'paid' : request.outcome === 'failed' ? 'open' : request.outcome;
  const subtotal = request.lines.reduce((sum, line) => sum + line.amount, 0);
  const total = Math.max(0, subtotal - request.discounts.reduce((sum, discount) => sum + discount.amount, 0));
  const charged = total > 0 && (request.outcome === 'paid' || request.outcome === 'failed');
  const attemptCount = request.outcome === 'failed' ? (request.attemptCount ?? 1) : charged ? 1 : 0;
  const invoice = buildInvoice({
    id: context.ids.next('in'),
    created: request.created,
    livemode: data.livemode,
    customer,
    number: `${customer.invoice_prefix ?? 'EMU'}-${String(sequence).padStart(4, '0')}`,
    currency: request.currency,
    subscription: request.subscription,
    billingReason: request.billingReason,
    lines: request.lines.map((line) => ({ ...line, id: context.ids.next('il') })),
    discounts: request.discounts,
    status,
    attemptCount,
    description: request.description,
  });
  data.invoices.insert(invoice);
  const charge = charged
    ? recordCharge(context, data, {
        customer,
        amount: total,
        currency: request.currency,
        created: request.created,
        description: request.subscription ? 'Subscription update' : 'Payment for Invoice',
        failureCode: request.outcome === 'failed' ? (request.failureCode ?? 'card_declined') : null,
      })
    : null;
  return { invoice, charge };
}

/** The events of an invoice's life so far, in Stripe's order. */
export function announceInvoice(
  context: AdminContext,
  enabled: boolean,
  data: DataSet,
  { invoice, charge }: IssuedInvoice,
  customer: Stripe.Customer,
): void {
  emitIf(context, enabled, data, 'invoice.created', invoice);
  if (invoice.status === 'draft') return;
  emitIf(context, enabled, data, 'invoice.finalized', invoice);
  if (charge !== null) announceCharge(context, enabled, data, charge);
  if (invoice.status === 'paid') {
    emitIf(context, enabled, data, 'invoice.paid', invoice);
    emitIf(context, enabled, data, 'invoice.payment_succeeded', invoice);
  } else if (charge?.status === 'failed') {
    emitIf(context, enabled, data, 'invoice.payment_failed', invoice);
    markDelinquent(context, enabled, data, customer);
  }
}
