import type Stripe from 'stripe';
import { attributeName, toMajorUnits, type AttributeSuffix } from '../mapping';
import type { ShownCustomer } from './contact-customers';
import type { SubscriptionLine } from './subscription-lines';

/** A charge as shown: amount in major units, refunded part, when (unix seconds). */
export interface ChargeFact {
  id: string;
  status: string;
  amount: number;
  refunded: number;
  currency: string;
  created: number;
}

/** An invoice as shown: amount due in major units, dates unix seconds, Stripe's hosted page when it has one. */
export interface InvoiceFact {
  id: string;
  number: string | null;
  status: string | null;
  /** Open after a failed collection attempt. */
  paymentFailed: boolean;
  amountDue: number;
  currency: string;
  dueDate: number | null;
  created: number;
  url: string | null;
}

/**
 * The billing facts of one Stripe customer, as the inbox card and Fin's answers show them (documented in docs/integration.md,
 * "Answers for Fin"). Amounts are in major units; dates are unix seconds.
 */
export interface CustomerFacts {
  stripeAccountId: string;
  /** The workspace's primary Stripe account (listed first). */
  primaryAccount: boolean;
  livemode: boolean;
  customerId: string;
  email: string | null;
  name: string | null;
  deleted: boolean;
  currency: string | null;
  balance: number | null;
  mrr: number | null;
  delinquent: boolean | null;
  totalSpent: number | null;
  paymentMethod: { type: string | null; cardBrand: string | null; cardExpiresAt: number | null };
  subscriptions: SubscriptionLine[];
  charges: ChargeFact[];
  invoices: InvoiceFact[];
  dashboardUrl: string;
}

/** Reads the computed attributes (the same values the sync writes to Intercom) and the mirrored lines. */
export function customerFacts(shown: ShownCustomer): CustomerFacts {
  const read = (suffix: AttributeSuffix) => shown.attributes[attributeName(shown.install.attributePrefix, suffix)];
  const text = (suffix: AttributeSuffix) => asString(read(suffix));
  const number = (suffix: AttributeSuffix) => asNumber(read(suffix));
  const live = shown.customer.customer.deleted ? null : (shown.customer.customer as Stripe.Customer);
  const currency = text('currency');
  return {
    stripeAccountId: shown.install.stripeAccountId,
    primaryAccount: shown.install.primary,
    livemode: shown.install.livemode,
    customerId: shown.customer.customerId,
    email: live?.email ?? null,
    name: live?.name ?? null,
    deleted: shown.customer.deleted,
    currency,
    balance: number('account_balance'),
    mrr: number('mrr'),
    delinquent: asBoolean(read('delinquent')),
    totalSpent: number('total_spent'),
    paymentMethod: {
      type: text('payment_method_type'),
      cardBrand: text('card_brand'),
      cardExpiresAt: number('card_expires_at'),
    },
    subscriptions: shown.subscriptions,
    charges: shown.charges.map((charge) => ({
      id: charge.chargeId,
      status: charge.status,
      amount: toMajorUnits(charge.amountCaptured, charge.currency),
      refunded: toMajorUnits(charge.amountRefunded, charge.currency),
      currency: charge.currency,
      created: charge.created,
    })),
    invoices: shown.invoices.map((invoice) => ({
      id: invoice.invoiceId,
      number: invoice.number,
      status: invoice.status,
      paymentFailed: invoice.status === 'open' && invoice.attempted,
      amountDue: toMajorUnits(invoice.amountDue, invoice.currency),
      currency: invoice.currency,
      dueDate: invoice.dueDate,
      created: invoice.created,
      url: invoice.hostedInvoiceUrl,
    })),
    dashboardUrl: stripeDashboardUrl(shown.install.stripeAccountId, shown.install.livemode, shown.customer.customerId),
  };
}

/** The customer's page in the Stripe dashboard, in the install's account and mode. */
export function stripeDashboardUrl(accountId: string, livemode: boolean, customerId: string): string {
  return `https://dashboard.stripe.com/${accountId}/${livemode ? '' : 'test/'}customers/${encodeURIComponent(customerId)}`;
}

const asString = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
const asNumber = (value: unknown): number | null => (typeof value === 'number' ? value : null);
const asBoolean = (value: unknown): boolean | null => (typeof value === 'boolean' ? value : null);
