import { resourceMissing } from '../errors';
import { paginate } from './pagination';
import { arrayOf, boolean, inRange, listParams, object, oneOf, parseParams, range, string } from './params';
import { type ApiRequest, type Route } from './route';

function listPrices({ data, params, expander }: ApiRequest): object {
  const query = parseParams(params, {
    ...listParams,
    active: boolean,
    created: range,
    currency: string,
    lookup_keys: arrayOf(string),
    product: string,
    recurring: object({
      interval: oneOf(['day', 'week', 'month', 'year']),
      meter: string,
      usage_type: oneOf(['licensed', 'metered']),
    }),
    type: oneOf(['one_time', 'recurring']),
  });
  const page = paginate(
    data.prices,
    query,
    (price) =>
      (query.active === undefined || price.active === query.active) &&
      (query.currency === undefined || price.currency === query.currency.toLowerCase()) &&
      (query.product === undefined || price.product === query.product) &&
      (query.type === undefined || price.type === query.type) &&
      (query.lookup_keys === undefined ||
        (price.lookup_key !== null && query.lookup_keys.includes(price.lookup_key))) &&
      (query.recurring?.interval === undefined || price.recurring?.interval === query.recurring.interval) &&
      (query.recurring?.usage_type === undefined || price.recurring?.usage_type === query.recurring.usage_type) &&
      (query.recurring?.meter === undefined || price.recurring?.meter === query.recurring.meter) &&
      inRange(price.created, query.created),
    '/v1/prices',
    'price',
  );
  return expander.render(page, query.expand);
}

function retrievePrice({ data, params, path, expander }: ApiRequest): object {
  const query = parseParams(params, { expand: arrayOf(string) });
  const price = data.prices.get(path.id as string);
  if (price === undefined) throw resourceMissing('price', path.id as string);
  return expander.render(price, query.expand);
}

function listProducts({ data, params, expander }: ApiRequest): object {
  const query = parseParams(params, {
    ...listParams,
    active: boolean,
    created: range,
    ids: arrayOf(string),
    shippable: boolean,
    type: oneOf(['good', 'service']),
    url: string,
  });
  const page = paginate(
    data.products,
    query,
    (product) =>
      (query.active === undefined || product.active === query.active) &&
      (query.ids === undefined || query.ids.includes(product.id)) &&
      (query.shippable === undefined || product.shippable === query.shippable) &&
      (query.type === undefined || product.type === query.type) &&
      (query.url === undefined || product.url === query.url) &&
      inRange(product.created, query.created),
    '/v1/products',
    'product',
  );
  return expander.render(page, query.expand);
}

function retrieveProduct({ data, params, path, expander }: ApiRequest): object {
  const query = parseParams(params, { expand: arrayOf(string) });
  const product = data.products.get(path.id as string);
  if (product === undefined) throw resourceMissing('product', path.id as string);
  return expander.render(product, query.expand);
}

function listCoupons({ data, params, expander }: ApiRequest): object {
  const query = parseParams(params, { ...listParams, created: range });
  const page = paginate(
    data.coupons,
    query,
    (coupon) => inRange(coupon.created, query.created),
    '/v1/coupons',
    'coupon',
  );
  return expander.render(page, query.expand);
}

function retrieveCoupon({ data, params, path, expander }: ApiRequest): object {
  const query = parseParams(params, { expand: arrayOf(string) });
  const coupon = data.coupons.get(path.id as string);
  if (coupon === undefined) throw resourceMissing('coupon', path.id as string);
  return expander.render(coupon, query.expand);
}

export const catalogRoutes: Route[] = [
  { method: 'GET', path: '/v1/prices', handle: listPrices },
  { method: 'GET', path: '/v1/prices/:id', handle: retrievePrice },
  { method: 'GET', path: '/v1/products', handle: listProducts },
  { method: 'GET', path: '/v1/products/:id', handle: retrieveProduct },
  { method: 'GET', path: '/v1/coupons', handle: listCoupons },
  { method: 'GET', path: '/v1/coupons/:id', handle: retrieveCoupon },
];
