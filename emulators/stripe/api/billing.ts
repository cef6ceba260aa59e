import type Stripe from 'stripe';
import { resourceMissing } from '../errors';
import { paginate } from './pagination';
import { arrayOf, boolean, inRange, listParams, object, oneOf, parseParams, range, string } from './params';
import { type ApiRequest, type Route } from './route';

const listStatuses = [
  'active',
  'all',
  'canceled',
  'ended',
  'incomplete',
  'incomplete_expired',
  'past_due',
  'paused',
  'trialing',
  'unpaid',
] as const;

/** Without `status`, Stripe lists every subscription that has not been canceled. */
function statusMatches(status: Stripe.Subscription.Status, filter: (typeof listStatuses)[number] | undefined): boolean {
  if (filter === undefined) return status !== 'canceled';
  if (filter === 'all') return true;
  if (filter === 'ended') return status === 'canceled' || status === 'incomplete_expired';
  return status === filter;
}

function listSubscriptions({ data, params, expander }: ApiRequest): object {
  const query = parseParams(params, {
    ...listParams,
    automatic_tax: object({ enabled: boolean }),
    collection_method: oneOf(['charge_automatically', 'send_invoice']),
    created: range,
    current_period_end: range,
    current_period_start: range,
    customer: string,
    customer_account: string,
    plan: string,
    price: string,
    status: oneOf(listStatuses),
    test_clock: string,
  });
  const priceFilter = query.price ?? query.plan;
  const page = paginate(
    data.subscriptions,
    query,
    (subscription) => {
      const items = subscription.items.data;
      return (
        statusMatches(subscription.status, query.status) &&
        (query.customer === undefined || subscription.customer === query.customer) &&
        (priceFilter === undefined || items.some((item) => item.price.id === priceFilter)) &&
        (query.collection_method === undefined || subscription.collection_method === query.collection_method) &&
        (query.automatic_tax?.enabled === undefined ||
          subscription.automatic_tax.enabled === query.automatic_tax.enabled) &&
        inRange(subscription.created, query.created) &&
        items.some((item) => inRange(item.current_period_start, query.current_period_start)) &&
        items.some((item) => inRange(item.current_period_end, query.current_period_end)) &&
        query.customer_account === undefined &&
        query.test_clock === undefined
      );
    },
    '/v1/subscriptions',
    'subscription',
  );
  return expander.render(page, query.expand);
}

function retrieveSubscription({ data, params, path, expander }: ApiRequest): object {
  const query = parseParams(params, { expand: arrayOf(string) });
  const subscription = data.subscriptions.get(path.id as string);
  if (subscription === undefined) throw resourceMissing('subscription', path.id as string);
  return expander.render(subscription, query.expand);
}

function listInvoices({ data, params, expander }: ApiRequest): object {
  const query = parseParams(params, {
    ...listParams,
    collection_method: oneOf(['charge_automatically', 'send_invoice']),
    created: range,
    customer: string,
    customer_account: string,
    due_date: range,
    status: oneOf(['draft', 'open', 'paid', 'uncollectible', 'void']),
    subscription: string,
  });
  const page = paginate(
    data.invoices,
    query,
    (invoice) =>
      (query.customer === undefined || invoice.customer === query.customer) &&
      (query.subscription === undefined || invoice.parent?.subscription_details?.subscription === query.subscription) &&
      (query.status === undefined || invoice.status === query.status) &&
      (query.collection_method === undefined || invoice.collection_method === query.collection_method) &&
      inRange(invoice.created, query.created) &&
      (query.due_date === undefined || (invoice.due_date !== null && inRange(invoice.due_date, query.due_date))) &&
      query.customer_account === undefined,
    '/v1/invoices',
    'invoice',
  );
  return expander.render(page, query.expand);
}

function retrieveInvoice({ data, params, path, expander }: ApiRequest): object {
  const query = parseParams(params, { expand: arrayOf(string) });
  const invoice = data.invoices.get(path.id as string);
  if (invoice === undefined) throw resourceMissing('invoice', path.id as string);
  return expander.render(invoice, query.expand);
}

export const billingRoutes: Route[] = [
  { method: 'GET', path: '/v1/subscriptions', handle: listSubscriptions },
  { method: 'GET', path: '/v1/subscriptions/:id', handle: retrieveSubscription },
  { method: 'GET', path: '/v1/invoices', handle: listInvoices },
  { method: 'GET', path: '/v1/invoices/:id', handle: retrieveInvoice },
];
