import type Stripe from 'stripe';
import type { Queryable } from './queryable';

export type CatalogKind = 'product' | 'price' | 'coupon';

export async function upsertCatalog(
  db: Queryable,
  installId: string,
  objects: { id: string; kind: CatalogKind; data: unknown }[],
  observedAt: Date,
): Promise<void> {
  if (objects.length === 0) return;
  await db.query(
    `INSERT INTO stripe_catalog (install_id, object_id, kind, data, observed_at)
     SELECT $1, r.id, r.kind, r.data, $3 FROM jsonb_to_recordset($2::jsonb) AS r(id text, kind text, data jsonb)
     ORDER BY r.id
     ON CONFLICT (install_id, object_id) DO UPDATE SET data = EXCLUDED.data, observed_at = EXCLUDED.observed_at
       WHERE stripe_catalog.observed_at <= EXCLUDED.observed_at`,
    [installId, JSON.stringify(objects), observedAt.toISOString()],
  );
}

export async function getCatalog(
  db: Queryable,
  installId: string,
  ids: string[],
): Promise<{ products: Stripe.Product[]; prices: Stripe.Price[]; coupons: Stripe.Coupon[] }> {
  const result = await db.query<{ kind: CatalogKind; data: Stripe.Product | Stripe.Price | Stripe.Coupon }>(
    `SELECT kind, data FROM stripe_catalog WHERE install_id = $1 AND object_id = ANY($2)`,
    [installId, ids],
  );
  const ofKind = <T>(kind: CatalogKind) => result.rows.filter((row) => row.kind === kind).map((row) => row.data as T);
  return {
    products: ofKind<Stripe.Product>('product'),
    prices: ofKind<Stripe.Price>('price'),
    coupons: ofKind<Stripe.Coupon>('coupon'),
  };
}
