import type Stripe from 'stripe';
import type { Pool } from 'pg';
import { normalizeEmail } from '../mapping';
import { getCatalog, upsertCatalog, upsertCustomers, upsertLatestCharges } from '../db/mirror';
import { CUSTOMER_EXPANSIONS } from './clients/stripe';

/**
 * Re-reads customers from Stripe into the mirror (current state, the convergence rule): the customer with its
 * subscriptions and payment method, its latest charge, and any price or product the mirror does not know yet.
 */
export async function refreshCustomers(
  stripe: Stripe,
  pool: Pool,
  installId: string,
  customerIds: string[],
  onProgress: () => void,
): Promise<void> {
  for (const customerId of customerIds) {
    const observedAt = new Date();
    const customer = await retrieveCustomer(stripe, customerId);
    if (!customer) continue;
    const deleted = 'deleted' in customer && customer.deleted === true;
    await upsertCustomers(pool, installId, [
      {
        customerId,
        emailNormalized: deleted ? null : normalizeEmail((customer as Stripe.Customer).email),
        deleted,
        customer,
        observedAt,
      },
    ]);
    if (!deleted) {
      const charges = await stripe.charges.list({ customer: customerId, limit: 1 });
      const latest = charges.data[0];
      if (latest) {
        await upsertLatestCharges(pool, installId, [
          { customerId, charge: { id: latest.id, status: latest.status, created: latest.created }, observedAt },
        ]);
      }
      await fillCatalog(stripe, pool, installId, customer as Stripe.Customer);
    }
    onProgress();
  }
}

async function retrieveCustomer(stripe: Stripe, customerId: string) {
  try {
    return await stripe.customers.retrieve(customerId, { expand: CUSTOMER_EXPANSIONS });
  } catch (err) {
    // A customer id that never existed in this account (a foreign event): nothing to mirror.
    if ((err as { code?: string }).code === 'resource_missing') return undefined;
    throw err;
  }
}

async function fillCatalog(stripe: Stripe, pool: Pool, installId: string, customer: Stripe.Customer) {
  const prices = (customer.subscriptions?.data ?? []).flatMap((subscription) =>
    subscription.items.data.map((item) => item.price),
  );
  const productIds = prices.map((price) => (typeof price.product === 'string' ? price.product : price.product.id));
  const known = await getCatalog(pool, installId, [...prices.map((price) => price.id), ...productIds]);
  const knownIds = new Set([...known.prices, ...known.products].map((object) => object.id));
  const observedAt = new Date();
  for (const price of prices) {
    if (knownIds.has(price.id)) continue;
    const full = await stripe.prices.retrieve(price.id, { expand: ['tiers'] });
    await upsertCatalog(pool, installId, [{ id: full.id, kind: 'price', data: full }], observedAt);
    knownIds.add(price.id);
  }
  for (const productId of productIds) {
    if (knownIds.has(productId)) continue;
    const product = await stripe.products.retrieve(productId);
    await upsertCatalog(pool, installId, [{ id: product.id, kind: 'product', data: product }], observedAt);
    knownIds.add(productId);
  }
}
