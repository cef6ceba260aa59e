import type Stripe from 'stripe';
import { resourceMissing } from '../errors';
import { deletedCustomer } from '../objects/customer';
import { paginate } from './pagination';
import { arrayOf, inRange, listParams, oneOf, parseParams, range, string } from './params';
import { type ApiRequest, type Route } from './route';

function listCustomers({ data, params, expander }: ApiRequest): object {
  const query = parseParams(params, { ...listParams, created: range, email: string, test_clock: string });
  const page = paginate(
    data.customers,
    query,
    (customer) =>
      !data.deletedCustomers.has(customer.id) &&
      inRange(customer.created, query.created) &&
      // Stripe's email filter is an exact, case-sensitive match.
      (query.email === undefined || customer.email === query.email) &&
      query.test_clock === undefined,
    '/v1/customers',
    'customer',
  );
  return expander.render(page, query.expand);
}

function retrieveCustomer({ data, params, path, expander }: ApiRequest): object {
  const query = parseParams(params, { expand: arrayOf(string) });
  const customer = data.customers.get(path.id as string);
  if (customer === undefined) throw resourceMissing('customer', path.id as string);
  if (data.deletedCustomers.has(customer.id)) return deletedCustomer(customer.id);
  return expander.render(customer, query.expand);
}

const paymentMethodTypes = ['card', 'us_bank_account', 'sepa_debit', 'link'] as const;

function listCustomerPaymentMethods({ data, params, path, expander }: ApiRequest): object {
  const customerId = path.id as string;
  const query = parseParams(params, {
    ...listParams,
    type: oneOf(paymentMethodTypes),
    allow_redisplay: oneOf(['always', 'limited', 'unspecified']),
  });
  if (data.liveCustomer(customerId) === undefined) throw resourceMissing('customer', customerId);
  const page = paginate(
    data.paymentMethods,
    query,
    (method: Stripe.PaymentMethod) =>
      method.customer === customerId &&
      (query.type === undefined || method.type === query.type) &&
      (query.allow_redisplay === undefined || method.allow_redisplay === query.allow_redisplay),
    `/v1/customers/${customerId}/payment_methods`,
    'payment_method',
  );
  return expander.render(page, query.expand);
}

function retrieveCustomerPaymentMethod({ data, params, path, expander }: ApiRequest): object {
  const query = parseParams(params, { expand: arrayOf(string) });
  const method = data.paymentMethods.get(path.id as string);
  if (method === undefined || method.customer !== path.customer) {
    throw resourceMissing('payment_method', path.id as string);
  }
  return expander.render(method, query.expand);
}

export const customerRoutes: Route[] = [
  { method: 'GET', path: '/v1/customers', handle: listCustomers },
  { method: 'GET', path: '/v1/customers/:id', handle: retrieveCustomer },
  { method: 'GET', path: '/v1/customers/:id/payment_methods', handle: listCustomerPaymentMethods },
  { method: 'GET', path: '/v1/customers/:customer/payment_methods/:id', handle: retrieveCustomerPaymentMethod },
];
