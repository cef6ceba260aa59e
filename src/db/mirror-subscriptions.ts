import type Stripe from 'stripe';
import type { Queryable } from './queryable';

/** Writes subscriptions as observed; an earlier observation of one never overwrites a later one. */
export async function upsertSubscriptions(
  db: Queryable,
  installId: string,
  subscriptions: Stripe.Subscription[],
  observedAt: Date,
): Promise<void> {
  if (subscriptions.length === 0) return;
  await db.query(
    `INSERT INTO stripe_subscriptions (install_id, subscription_id, customer_id, data, observed_at)
     SELECT $1, r.id, r.customer_id, r.data, $3 FROM jsonb_to_recordset($2::jsonb) AS r(id text, customer_id text, data jsonb)
     ORDER BY r.id
     ON CONFLICT (install_id, subscription_id) DO UPDATE SET data = EXCLUDED.data, observed_at = EXCLUDED.observed_at
       WHERE stripe_subscriptions.observed_at <= EXCLUDED.observed_at`,
    [
      installId,
      JSON.stringify(
        subscriptions.map((data) => ({
          id: data.id,
          customer_id: typeof data.customer === 'string' ? data.customer : data.customer.id,
          data,
        })),
      ),
      observedAt.toISOString(),
    ],
  );
}
