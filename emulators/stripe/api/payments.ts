import { invalidRequest, resourceMissing } from '../errors';
import { paginate } from './pagination';
import { arrayOf, inRange, listParams, oneOf, parseParams, range, string } from './params';
import { type ApiRequest, type Route } from './route';

function listCharges({ data, params, expander }: ApiRequest): object {
  const query = parseParams(params, {
    ...listParams,
    created: range,
    customer: string,
    payment_intent: string,
    transfer_group: string,
  });
  const page = paginate(
    data.charges,
    query,
    (charge) =>
      (query.customer === undefined || charge.customer === query.customer) &&
      (query.payment_intent === undefined || charge.payment_intent === query.payment_intent) &&
      (query.transfer_group === undefined || charge.transfer_group === query.transfer_group) &&
      inRange(charge.created, query.created),
    '/v1/charges',
    'charge',
  );
  return expander.render(page, query.expand);
}

function retrieveCharge({ data, params, path, expander }: ApiRequest): object {
  const query = parseParams(params, { expand: arrayOf(string) });
  const charge = data.charges.get(path.id as string);
  if (charge === undefined) throw resourceMissing('charge', path.id as string);
  return expander.render(charge, query.expand);
}

function listRefunds({ data, params, expander }: ApiRequest): object {
  const query = parseParams(params, { ...listParams, charge: string, created: range, payment_intent: string });
  const page = paginate(
    data.refunds,
    query,
    (refund) =>
      (query.charge === undefined || refund.charge === query.charge) &&
      (query.payment_intent === undefined || refund.payment_intent === query.payment_intent) &&
      inRange(refund.created, query.created),
    '/v1/refunds',
    'refund',
  );
  return expander.render(page, query.expand);
}

function retrieveRefund({ data, params, path, expander }: ApiRequest): object {
  const query = parseParams(params, { expand: arrayOf(string) });
  const refund = data.refunds.get(path.id as string);
  if (refund === undefined) throw resourceMissing('refund', path.id as string);
  return expander.render(refund, query.expand);
}

function listPaymentMethods({ data, params, expander }: ApiRequest): object {
  const query = parseParams(params, {
    ...listParams,
    allow_redisplay: oneOf(['always', 'limited', 'unspecified']),
    customer: string,
    customer_account: string,
    type: string,
  });
  // Without a customer Stripe lists only Treasury payment methods, which the emulator has none of.
  if (query.customer === undefined) throw invalidRequest('Missing required param: customer.', 'customer');
  const page = paginate(
    data.paymentMethods,
    query,
    (method) =>
      method.customer === query.customer &&
      (query.type === undefined || method.type === query.type) &&
      (query.allow_redisplay === undefined || method.allow_redisplay === query.allow_redisplay),
    '/v1/payment_methods',
    'payment_method',
  );
  return expander.render(page, query.expand);
}

function retrievePaymentMethod({ data, params, path, expander }: ApiRequest): object {
  const query = parseParams(params, { expand: arrayOf(string) });
  const method = data.paymentMethods.get(path.id as string);
  if (method === undefined) throw resourceMissing('payment_method', path.id as string);
  return expander.render(method, query.expand);
}

export const paymentRoutes: Route[] = [
  { method: 'GET', path: '/v1/charges', handle: listCharges },
  { method: 'GET', path: '/v1/charges/:id', handle: retrieveCharge },
  { method: 'GET', path: '/v1/refunds', handle: listRefunds },
  { method: 'GET', path: '/v1/refunds/:id', handle: retrieveRefund },
  { method: 'GET', path: '/v1/payment_methods', handle: listPaymentMethods },
  { method: 'GET', path: '/v1/payment_methods/:id', handle: retrievePaymentMethod },
];
