import type { CustomerFacts } from './facts';

/** Unix seconds as an ISO date-time (what a language model reads without arithmetic), null kept. */
const iso = (seconds: number | null): string | null =>
  seconds === null ? null : new Date(seconds * 1000).toISOString();

/**
 * The JSON Fin's data connector receives (docs/integration.md, "Answers for Fin"): compact, every amount in major units of its
 * currency, every date ISO 8601, no internal ids beyond Stripe's own.
 */
export function finAnswer(customers: CustomerFacts[]) {
  return {
    found: customers.length,
    customers: customers.map((customer) => ({
      stripeAccount: customer.stripeAccountId,
      primaryAccount: customer.primaryAccount,
      customerId: customer.customerId,
      email: customer.email,
      name: customer.name,
      deleted: customer.deleted,
      currency: customer.currency,
      balance: customer.balance,
      mrr: customer.mrr,
      delinquent: customer.delinquent,
      totalSpent: customer.totalSpent,
      paymentMethod: {
        type: customer.paymentMethod.type,
        cardBrand: customer.paymentMethod.cardBrand,
        cardExpiresAt: iso(customer.paymentMethod.cardExpiresAt),
      },
      subscriptions: customer.subscriptions.map((line) => ({
        plan: line.plan,
        status: line.status,
        amount: line.amount,
        currency: line.currency,
        interval: line.interval,
        currentPeriodEnd: iso(line.periodEnd),
        cancelAt: iso(line.cancelAt),
        trialEnd: iso(line.trialEnd),
        endedAt: iso(line.endedAt),
      })),
      recentCharges: customer.charges.map((charge) => ({
        status: charge.status,
        amount: charge.amount,
        refunded: charge.refunded,
        currency: charge.currency,
        createdAt: iso(charge.created),
      })),
      recentInvoices: customer.invoices.map((invoice) => ({
        number: invoice.number,
        status: invoice.paymentFailed ? 'payment_failed' : invoice.status,
        amountDue: invoice.amountDue,
        currency: invoice.currency,
        dueDate: iso(invoice.dueDate),
        createdAt: iso(invoice.created),
        url: invoice.url,
      })),
    })),
  };
}
