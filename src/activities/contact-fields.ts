import type { Pool } from 'pg';
import type Stripe from 'stripe';
import {
  catalogFromLists,
  catalogReferences,
  installCustomerAttributes,
  pickContactCustomer,
  subscriptionsOfEvent,
  type Catalog,
} from '../mapping';
import type { ContactRecord } from '../db/contacts';
import { getCatalog, type MirroredCustomer } from '../db/mirror';
import type { Install } from '../db/installs';
import type { ContactFields } from './intercom-gateway';
import { externalIdOf } from './contact-search';

/** The products, prices and coupons a batch reads, read once each (the batch's customers mostly share them). */
export class CatalogCache {
  private readonly objects = new Map<string, { kind: 'product' | 'price' | 'coupon'; data: unknown }>();

  constructor(
    private readonly installId: string,
    private readonly pool: Pool,
  ) {}

  /** Reads at once the catalogue objects these customers refer to (other members' are read when met). */
  async readFor(customers: MirroredCustomer[]): Promise<void> {
    const missing = [...new Set(catalogIdsOf(customers))].filter((id) => !this.objects.has(id));
    if (missing.length === 0) return;
    const catalog = await getCatalog(this.pool, this.installId, missing);
    for (const data of catalog.products) this.objects.set(data.id, { kind: 'product', data });
    for (const data of catalog.prices) this.objects.set(data.id, { kind: 'price', data });
    for (const data of catalog.coupons) this.objects.set(data.id, { kind: 'coupon', data });
  }

  /** The mirrored products, prices and coupons these customers' subscriptions refer to. */
  async catalogFor(members: MirroredCustomer[]): Promise<Catalog> {
    await this.readFor(members);
    const objects = catalogIdsOf(members).flatMap((id) => {
      const object = this.objects.get(id);
      return object ? [object] : [];
    });
    const ofKind = <T>(kind: 'product' | 'price' | 'coupon') =>
      objects.filter((object) => object.kind === kind).map((object) => object.data as T);
    return catalogFromLists(
      ofKind<Stripe.Product>('product'),
      ofKind<Stripe.Price>('price'),
      ofKind<Stripe.Coupon>('coupon'),
    );
  }

  /**
   * Product names and price tiers for a subscription event (the event's plan and price): webhook payloads carry the
   * product as an id and never a tiered price's tiers, so a price without a nickname would lose its plan name.
   */
  async eventCatalog(event: Stripe.Event): Promise<Catalog | undefined> {
    const subscriptions = subscriptionsOfEvent(event);
    if (subscriptions.length === 0) return undefined;
    const references = catalogReferences(subscriptions);
    const catalog = await getCatalog(this.pool, this.installId, [
      ...references.productIds,
      ...references.priceIds,
      ...references.couponIds,
    ]);
    return catalogFromLists(catalog.products, catalog.prices, catalog.coupons);
  }
}

/**
 * The fields to write: the attributes of the customer the contact shows (docs/data.md: the live customer whose primary
 * subscription ranks highest; a deleted one only when all are deleted), plus email, name and external id on contacts
 * this service created (or is creating). Undefined when the contact has no customer to show.
 */
export async function contactFields(
  install: Install,
  catalogs: CatalogCache,
  members: MirroredCustomer[],
  contact: ContactRecord | undefined,
  nowSeconds: number,
): Promise<ContactFields | undefined> {
  const catalog = await catalogs.catalogFor(members);
  const live = members.filter((member) => !member.deleted);
  const shown = pickContactCustomer(live, { catalog, now: nowSeconds }) ?? members.find((member) => member.deleted);
  if (!shown) return undefined;
  const customer = shown.customer;
  const attributes = mapOrReject(`customer ${shown.customerId}`, () =>
    installCustomerAttributes(install, shown, catalog, nowSeconds),
  );
  const fields: ContactFields = { custom_attributes: attributes };
  const ownsIdentity = !contact || contact.createdByUs;
  if (ownsIdentity && !shown.deleted) {
    const liveCustomer = customer as Stripe.Customer;
    if (liveCustomer.email) fields.email = liveCustomer.email.trim();
    if (liveCustomer.name) fields.name = liveCustomer.name;
    const externalId = externalIdOf(install, shown);
    if (externalId) fields.external_id = externalId;
  }
  return fields;
}

/** Ids of the products, prices and coupons these customers' subscriptions and discounts refer to. */
export function catalogIdsOf(customers: MirroredCustomer[]): string[] {
  return customers.flatMap((member) => {
    if (member.customer.deleted) return [];
    const references = catalogReferences(member.subscriptions, member.customer.discount);
    return [...references.productIds, ...references.priceIds, ...references.couponIds];
  });
}

/** Stripe data the mapping threw on (a customer it cannot map): the same data fails the same way on every retry. */
export class UnmappableStripeData extends Error {
  override name = 'UnmappableStripeData';
  readonly code = 'unmappable_stripe_data';
}

export function unmappableReason(subject: string, err: unknown): string {
  return `${subject} cannot be mapped: ${err instanceof Error ? err.message : String(err)}`;
}

function mapOrReject<T>(subject: string, map: () => T): T {
  try {
    return map();
  } catch (err) {
    throw new UnmappableStripeData(unmappableReason(subject, err));
  }
}
