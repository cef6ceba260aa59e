import type Stripe from 'stripe';
import { invalidRequest } from '../errors';
import { balanceTransactionId, buildRefund } from '../objects/charge';
import { announceCharge, announceInvoice, issueInvoice, markDelinquent, recordCharge } from './billing';
import { type AdminContext, emitIf, locate, locateCustomer, updateAndEmit } from './context';
import {
  createChargeInput,
  createInvoiceInput,
  failInvoiceInput,
  refundInput,
  captureInput,
  type CaptureInput,
  type CreateChargeInput,
  type CreateInvoiceInput,
  type FailInvoiceInput,
  type RefundInput,
} from './schemas';

export function createCharge(context: AdminContext, raw: CreateChargeInput): Stripe.Charge {
  const input = createChargeInput.parse(raw);
  const { data, value: customer } = locateCustomer(context, input.customer);
  const charge = recordCharge(context, data, {
    customer,
    amount: input.amount,
    currency: input.currency ?? customer.currency ?? 'usd',
    created: input.created ?? context.clock.now(),
    description: input.description,
    paymentMethod: input.paymentMethod,
    failureCode: input.status === 'failed' ? (input.failureCode ?? 'card_declined') : null,
    failureMessage: input.failureMessage,
    capture: input.capture,
  });
  announceCharge(context, input.emitEvents, data, charge);
  return structuredClone(charge);
}

/**
 * Captures an authorization (https://docs.stripe.com/api/charges/capture): all of it, or `amount` ("must be less than
 * or equal to the original amount"), once. `amount_captured` becomes the captured amount
 * (https://docs.stripe.com/api/charges/object#charge_object-amount_captured) and the rest of the authorization is
 * released as a refund, counted in `amount_refunded` ("the remaining amount_capturable will automatically be
 * refunded", https://docs.stripe.com/api/payment_intents/cancel). Emits `charge.captured` ("Occurs whenever a
 * previously uncaptured charge is captured", https://docs.stripe.com/api/events/types#event_types-charge.captured).
 */
export function captureCharge(context: AdminContext, chargeId: string, raw?: CaptureInput): Stripe.Charge {
  const input = captureInput.parse(raw);
  const { data, value: charge } = locate(context, 'charge', chargeId, (set) => set.charges.get(chargeId));
  if (charge.captured || charge.status !== 'succeeded' || charge.refunded) {
    throw invalidRequest(`Charge ${chargeId} has already been captured.`, 'charge', 'charge_already_captured');
  }
  const amount = input.amount ?? charge.amount;
  if (amount > charge.amount) {
    throw invalidRequest(`Capture amount (${amount}) is greater than the charge amount (${charge.amount}).`, 'amount');
  }
  const released = charge.amount - amount;
  if (released > 0) {
    data.refunds.insert(
      buildRefund({ id: context.ids.next('re'), created: context.clock.now(), charge, amount: released }),
    );
  }
  updateAndEmit(context, input.emitEvents, data, 'charge.captured', charge, (target) => {
    target.captured = true;
    target.amount_captured = amount;
    target.amount_refunded += released;
    target.balance_transaction = balanceTransactionId(target.id);
  });
  return structuredClone(charge);
}

/**
 * Refunds all or part of what a charge took: `amount_refunded` grows and `refunded` turns true once the whole
 * `amount` is counted there (captured part refunded plus the part a partial capture released). An authorization not
 * yet captured has nothing to refund here.
 */
export function refundCharge(context: AdminContext, chargeId: string, raw?: RefundInput): Stripe.Refund {
  const input = refundInput.parse(raw);
  const { data, value: charge } = locate(context, 'charge', chargeId, (set) => set.charges.get(chargeId));
  const remaining = charge.captured ? charge.amount - charge.amount_refunded : 0;
  if (charge.status !== 'succeeded' || remaining <= 0) {
    throw invalidRequest(
      `Charge ${chargeId} has already been refunded or was never paid.`,
      'charge',
      'charge_already_refunded',
    );
  }
  const amount = input.amount ?? remaining;
  if (amount > remaining) {
    throw invalidRequest(
      `Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`,
      'amount',
    );
  }
  const refund = buildRefund({
    id: context.ids.next('re'),
    created: context.clock.now(),
    charge,
    amount,
    reason: input.reason,
  });
  data.refunds.insert(refund);
  updateAndEmit(context, input.emitEvents, data, 'charge.refunded', charge, (target) => {
    target.amount_refunded += amount;
    target.refunded = target.amount_refunded === target.amount;
  });
  emitIf(context, input.emitEvents, data, 'refund.created', refund);
  return structuredClone(refund);
}

/** A one-line invoice; `paid` also records the successful charge, `open` waits for payment. */
export function createInvoice(context: AdminContext, raw: CreateInvoiceInput): Stripe.Invoice {
  const input = createInvoiceInput.parse(raw);
  const { data, value: customer } = locateCustomer(context, input.customer);
  const created = input.created ?? context.clock.now();
  if (input.subscription !== undefined) {
    const subscriptionId = input.subscription;
    locate(context, 'subscription', subscriptionId, (set) => set.subscriptions.get(subscriptionId));
  }
  const issued = issueInvoice(context, data, {
    customer,
    subscription: input.subscription ?? null,
    currency: input.currency ?? customer.currency ?? 'usd',
    created,
    billingReason: input.subscription ? 'subscription_cycle' : 'manual',
    lines: [
      {
        description: input.description ?? 'Emulated invoice item',
        amount: input.amountDue,
        quantity: 1,
        price: null,
        period: { start: created, end: created },
        subscriptionItem: null,
      },
    ],
    discounts: [],
    outcome: input.status,
    description: input.description,
  });
  announceInvoice(context, input.emitEvents, data, issued, customer);
  return structuredClone(issued.invoice);
}

/**
 * One more failed automatic payment attempt on an open invoice: a failed charge, `attempt_count` + 1,
 * `invoice.payment_failed`, and a delinquent customer.
 */
export function failInvoicePayment(context: AdminContext, invoiceId: string, raw?: FailInvoiceInput): Stripe.Invoice {
  const input = failInvoiceInput.parse(raw);
  const { data, value: invoice } = locate(context, 'invoice', invoiceId, (set) => set.invoices.get(invoiceId));
  if (invoice.status !== 'open') {
    throw invalidRequest(
      `Invoice ${invoiceId} is ${invoice.status ?? 'unknown'}; only open invoices can be paid.`,
      'invoice',
    );
  }
  const { value: customer } = locateCustomer(context, invoice.customer as string);
  const now = context.clock.now();
  const charge =
    invoice.amount_remaining > 0
      ? recordCharge(context, data, {
          customer,
          amount: invoice.amount_remaining,
          currency: invoice.currency,
          created: now,
          description: 'Payment for Invoice',
          failureCode: input.failureCode,
        })
      : null;
  invoice.attempt_count += 1;
  invoice.attempted = true;
  // Smart Retries give up after about four attempts.
  invoice.next_payment_attempt = invoice.attempt_count < 4 ? now + 3 * 86_400 : null;
  if (charge !== null) announceCharge(context, input.emitEvents, data, charge);
  emitIf(context, input.emitEvents, data, 'invoice.payment_failed', invoice);
  markDelinquent(context, input.emitEvents, data, customer);
  return structuredClone(invoice);
}
