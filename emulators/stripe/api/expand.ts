import type Stripe from 'stripe';
import { type DataSet } from '../dataset';
import { invalidRequest } from '../errors';
import { deletedCustomer } from '../objects/customer';
import { type ListObject } from './pagination';

type Kind =
  | 'customer'
  | 'payment_method'
  | 'source'
  | 'price'
  | 'product'
  | 'coupon'
  | 'discount'
  | 'invoice'
  | 'subscription'
  | 'charge';

/** Fields the API adds only on request rather than turning an id into an object. */
type Include = 'include';

/**
 * Expandable fields per object type (`object` value), keyed by their path inside that object. Paths through
 * plain hashes (`invoice_settings.default_payment_method`) keep the type of the object that holds them.
 */
const expandable: Record<string, Record<string, Kind | Include>> = {
  customer: {
    default_source: 'source',
    'invoice_settings.default_payment_method': 'payment_method',
    subscriptions: 'include',
  },
  subscription: {
    customer: 'customer',
    default_payment_method: 'payment_method',
    default_source: 'source',
    discounts: 'discount',
    latest_invoice: 'invoice',
  },
  subscription_item: { discounts: 'discount' },
  price: { product: 'product', tiers: 'include' },
  product: { default_price: 'price' },
  discount: { customer: 'customer', 'source.coupon': 'coupon' },
  invoice: {
    customer: 'customer',
    default_payment_method: 'payment_method',
    discounts: 'discount',
    'parent.subscription_details.subscription': 'subscription',
  },
  line_item: { discounts: 'discount', subscription: 'subscription', 'pricing.price_details.price': 'price' },
  charge: { customer: 'customer' },
  refund: { charge: 'charge' },
  payment_method: { customer: 'customer' },
  card: { customer: 'customer' },
};

/** Stripe embeds at most this many subscriptions in an expanded `customer.subscriptions`. */
const embeddedListLimit = 10;

type Node = Record<string, unknown>;

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Copies API objects for a response and applies `expand[]` the way Stripe does, ≤4 levels per path. */
export class Expander {
  constructor(private readonly data: DataSet) {}

  render<T extends object>(value: T, paths: readonly string[] = []): T {
    for (const path of paths) {
      if (path.split('.').length > 4) {
        throw invalidRequest(
          `You cannot expand more than 4 levels of a property. Property: ${path}`,
          undefined,
          'property_expansion_max_depth',
        );
      }
    }
    const copy = structuredClone(value);
    for (const path of paths) this.expandAt(copy as Node, path.split('.'), path, undefined, '');
    return copy;
  }

  private expandAt(node: Node, segments: string[], path: string, type: string | undefined, prefix: string): void {
    const [segment, ...rest] = segments;
    if (segment === undefined) return;
    const ownType = typeof node.object === 'string' ? node.object : type;
    const ownPrefix = typeof node.object === 'string' ? '' : prefix;
    if (node.object === 'list') {
      if (segment !== 'data' || rest.length === 0) throw cannotExpand(path);
      for (const item of node.data as unknown[]) if (isNode(item)) this.expandAt(item, rest, path, undefined, '');
      return;
    }
    const target = ownType === undefined ? undefined : expandable[ownType]?.[ownPrefix + segment];
    let value = node[segment];
    if (target === 'include') {
      // Another path may have included it already, with deeper expansions applied.
      value ??= this.include(ownType as string, segment, node);
      if (value === undefined) return;
      node[segment] = value;
    } else if (target !== undefined) {
      value = Array.isArray(value) ? value.map((entry) => this.resolve(target, entry)) : this.resolve(target, value);
      node[segment] = value;
    } else if (!isNode(value) || (rest.length === 0 && typeof value.object !== 'string')) {
      // Neither an expandable id nor an object to walk through (an already embedded object is a no-op).
      throw cannotExpand(path);
    }
    if (rest.length === 0) return;
    for (const child of Array.isArray(value) ? value : [value]) {
      if (isNode(child)) this.expandAt(child, rest, path, ownType, `${ownPrefix}${segment}.`);
    }
  }

  private resolve(kind: Kind, value: unknown): unknown {
    if (typeof value !== 'string') return value;
    const found = this.lookup(kind, value);
    return found === undefined ? value : structuredClone(found);
  }

  private lookup(kind: Kind, id: string): object | undefined {
    const data = this.data;
    switch (kind) {
      case 'customer':
        return data.deletedCustomers.has(id) ? deletedCustomer(id) : data.customers.get(id);
      case 'payment_method':
        return data.paymentMethods.get(id);
      case 'source':
        return data.cards.get(id) ?? data.paymentMethods.get(id);
      case 'price':
        return data.prices.get(id);
      case 'product':
        return data.products.get(id);
      case 'coupon':
        return data.coupons.get(id) ?? data.deletedCoupons.get(id);
      case 'discount':
        return data.discounts.get(id);
      case 'invoice':
        return data.invoices.get(id);
      case 'subscription':
        return data.subscriptions.get(id);
      case 'charge':
        return data.charges.get(id);
    }
  }

  private include(type: string, field: string, node: Node): unknown {
    if (type === 'customer' && field === 'subscriptions') return this.customerSubscriptions(node.id as string);
    if (type === 'price' && field === 'tiers') return structuredClone(this.data.priceTiers.get(node.id as string));
    return undefined;
  }

  /** `customer.subscriptions`: the customer's current (not ended) subscriptions, newest first. */
  private customerSubscriptions(customerId: string): ListObject<Stripe.Subscription> {
    const current = this.data
      .subscriptionsOf(customerId)
      .filter((subscription) => subscription.status !== 'canceled' && subscription.status !== 'incomplete_expired');
    return {
      object: 'list',
      data: structuredClone(current.slice(0, embeddedListLimit)),
      has_more: current.length > embeddedListLimit,
      url: `/v1/customers/${customerId}/subscriptions`,
    };
  }
}

function cannotExpand(path: string): Error {
  return invalidRequest(`This property cannot be expanded (${path}).`);
}
