import { currencyDecimals } from '../mapping';
import type { CustomerFacts, InvoiceFact } from '../customer-view/facts';
import type { SubscriptionLine } from '../customer-view/subscription-lines';
import { MAX_CANVAS_BYTES, type CanvasObject, type Component } from './components';

/** The submit action's component id (Canvas Kit sends it back as `component_id`). */
export const REFRESH_COMPONENT_ID = 'refresh';

const CARD_EXPIRY_WARNING_SECONDS = 30 * 24 * 3600;

export interface CardInput {
  customers: CustomerFacts[];
  /** How many Stripe accounts the workspace has connected (0: none, the empty state says so). */
  accounts: number;
  /** Unix seconds. */
  now: number;
  /** A line shown at the top after a refresh (e.g. "Refreshed from Stripe"). */
  notice?: string;
  /** Sent back by Intercom with the next request (the action token); counted in the 64 KB. */
  storedData?: Record<string, unknown>;
}

/**
 * The inbox card: per customer its status and plan per subscription, MRR, balance, the method that pays (a warning when
 * its card expires within 30 days), recent charges (failed and refunded marked), the last invoices (status, amount,
 * due date, a link to the hosted invoice) and a link to the Stripe dashboard;
 * a "Refresh from Stripe" button; a clear empty state when nothing matches. Customers that would push the canvas past
 * Intercom's 64 KB are left out and counted.
 * Components follow https://developers.intercom.com/docs/references/canvas-kit/responseobjects/content.
 */
export function buildCard(input: CardInput): CanvasObject {
  const head: Component[] = input.notice ? [{ type: 'text', text: input.notice, style: 'muted' }] : [];
  const refresh: Component = {
    type: 'button',
    id: REFRESH_COMPONENT_ID,
    label: 'Refresh from Stripe',
    style: 'secondary',
    action: { type: 'submit' },
  };
  const canvasOf = (components: Component[]): CanvasObject => ({
    content: { components },
    ...(input.storedData ? { stored_data: input.storedData } : {}),
  });
  if (input.customers.length === 0) return canvasOf([...head, ...emptyState(input.accounts), refresh]);
  // The frame with the longest possible "more not shown" line, then each section's own bytes (components and commas).
  let budget = MAX_CANVAS_BYTES - canvasBytes(canvasOf(assemble(head, [], moreNote(input.customers.length), refresh)));
  const sections: Component[][] = [];
  for (const customer of input.customers) {
    const section = customerSection(customer, input.now, input.accounts > 1);
    const cost = [DIVIDER, ...section].reduce((sum, one) => sum + Buffer.byteLength(JSON.stringify(one)) + 1, 0);
    if (cost > budget) break;
    budget -= cost;
    sections.push(section);
  }
  return canvasOf(assemble(head, sections, moreNote(input.customers.length - sections.length), refresh));
}

export function canvasBytes(canvas: CanvasObject): number {
  return Buffer.byteLength(JSON.stringify({ canvas }), 'utf8');
}

const DIVIDER: Component = { type: 'divider' };

function assemble(head: Component[], sections: Component[][], tail: Component[], refresh: Component): Component[] {
  const body = sections.flatMap((section, index) => (index === 0 ? section : [DIVIDER, ...section]));
  return [...head, ...body, ...tail, refresh];
}

function moreNote(hidden: number): Component[] {
  return hidden > 0 ? [{ type: 'text', text: `${hidden} more not shown`, style: 'muted' }] : [];
}

function emptyState(accounts: number): Component[] {
  const where =
    accounts === 0
      ? 'No Stripe account is connected to this workspace yet.'
      : `No customer in the ${accounts === 1 ? 'connected Stripe account' : `${accounts} connected Stripe accounts`} is linked to this contact or has its email.`;
  return [
    { type: 'text', text: 'No Stripe customer', style: 'header' },
    { type: 'text', text: where, style: 'muted' },
  ];
}

function customerSection(customer: CustomerFacts, now: number, severalAccounts: boolean): Component[] {
  const title = customer.name ?? customer.email ?? customer.customerId;
  const components: Component[] = [
    { type: 'text', text: `*${title}*`, style: 'header' },
    {
      type: 'text',
      text: `${customer.customerId} · ${customer.stripeAccountId}${severalAccounts && customer.primaryAccount ? ' (primary)' : ''}`,
      style: 'muted',
    },
  ];
  if (customer.deleted) {
    components.push({ type: 'text', text: 'Deleted in Stripe', style: 'error' });
  } else {
    components.push({
      type: 'data-table',
      items: [
        field('MRR', money(customer.mrr, customer.currency)),
        field('Balance', balance(customer.balance, customer.currency)),
        field('Total spent', money(customer.totalSpent, customer.currency)),
        field('Payment method', paymentMethod(customer)),
        ...(customer.delinquent ? [field('Delinquent', 'yes')] : []),
      ],
    });
    const expiresAt = customer.paymentMethod.cardExpiresAt;
    if (expiresAt !== null && expiresAt - now <= CARD_EXPIRY_WARNING_SECONDS) {
      const text = expiresAt < now ? `Card expired ${day(expiresAt)}` : `Card expires ${day(expiresAt)}`;
      components.push({ type: 'text', text, style: 'error' });
    }
  }
  for (const subscription of customer.subscriptions) components.push(subscriptionText(subscription));
  if (customer.subscriptions.length === 0) components.push({ type: 'text', text: 'No subscription', style: 'muted' });
  for (const charge of customer.charges) {
    const refunded = charge.refunded > 0 ? ` · refunded ${amount(charge.refunded, charge.currency)}` : '';
    const failed = charge.status === 'failed';
    components.push({
      type: 'text',
      text: `${day(charge.created)} · charge ${failed ? 'failed' : charge.status}${failed ? '' : ` ${amount(charge.amount, charge.currency)}`}${refunded}`,
      style: failed ? 'error' : 'paragraph',
    });
  }
  for (const invoice of customer.invoices) components.push(...invoiceComponents(invoice));
  components.push({
    type: 'button',
    id: `open-${customer.stripeAccountId}-${customer.customerId}`,
    label: 'Open in Stripe',
    style: 'link',
    action: { type: 'url', url: customer.dashboardUrl },
  });
  return components;
}

/** An invoice: when, number, status (a failed collection marked), amount due, due date; its hosted page as a link. */
function invoiceComponents(invoice: InvoiceFact): Component[] {
  const status = invoice.paymentFailed ? 'payment failed' : (invoice.status ?? 'unknown');
  const due = invoice.dueDate === null ? '' : ` · due ${day(invoice.dueDate)}`;
  const text: Component = {
    type: 'text',
    text: `${day(invoice.created)} · invoice ${invoice.number ?? invoice.id} ${status} ${amount(invoice.amountDue, invoice.currency)}${due}`,
    style: invoice.paymentFailed ? 'error' : 'paragraph',
  };
  if (invoice.url === null) return [text];
  const link: Component = {
    type: 'button',
    id: `invoice-${invoice.id}`,
    label: `Invoice ${invoice.number ?? invoice.id}`,
    style: 'link',
    action: { type: 'url', url: invoice.url },
  };
  return [text, link];
}

function subscriptionText(line: SubscriptionLine): Component {
  const parts = [`*${line.plan ?? line.id}*`, line.status];
  if (line.amount !== null)
    parts.push(`${amount(line.amount, line.currency)}${line.interval ? ` / ${line.interval}` : ''}`);
  if (line.trialEnd !== null && line.status === 'trialing') parts.push(`trial ends ${day(line.trialEnd)}`);
  if (line.cancelAt !== null) parts.push(`cancels ${day(line.cancelAt)}`);
  else if (line.endedAt !== null) parts.push(`ended ${day(line.endedAt)}`);
  else if (line.periodEnd !== null && line.status !== 'canceled') parts.push(`renews ${day(line.periodEnd)}`);
  const failing = line.status === 'past_due' || line.status === 'unpaid';
  return { type: 'text', text: parts.join(' · '), style: failing ? 'error' : 'paragraph' };
}

const field = (name: string, value: string) => ({ type: 'field-value' as const, field: name, value });

function paymentMethod(customer: CustomerFacts): string {
  const { type, cardBrand, cardExpiresAt } = customer.paymentMethod;
  if (type === null) return 'none';
  if (cardBrand === null) return type;
  return cardExpiresAt === null ? cardBrand : `${cardBrand}, expires ${day(cardExpiresAt).slice(0, 7)}`;
}

function money(value: number | null, currency: string | null): string {
  return value === null || currency === null ? '—' : amount(value, currency);
}

function balance(value: number | null, currency: string | null): string {
  if (value === null || currency === null || value === 0) return money(value, currency);
  return value > 0 ? `${amount(value, currency)} owed` : `${amount(-value, currency)} credit`;
}

function amount(value: number, currency: string): string {
  return `${value.toFixed(currencyDecimals(currency))} ${currency.toUpperCase()}`;
}

function day(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().slice(0, 10);
}
