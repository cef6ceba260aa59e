import type Stripe from 'stripe';
import type { ChargeHistory } from '../mapping';
import type { Queryable } from './queryable';

export interface LatestCharge {
  id: string;
  status: Stripe.Charge.Status;
  created: number;
}

export interface MirroredCustomer {
  customerId: string;
  emailNormalized: string | null;
  deleted: boolean;
  customer: Stripe.Customer | Stripe.DeletedCustomer;
  latestCharge: LatestCharge | null;
  /** Every mirrored subscription of the customer, canceled ones included. */
  subscriptions: Stripe.Subscription[];
  charges: ChargeHistory;
  observedAt: Date;
}

export type CustomerObservation = Omit<MirroredCustomer, 'latestCharge' | 'subscriptions' | 'charges'>;

/**
 * Writes customers as observed. A row observed earlier than the stored one is ignored, so a slow import page can
 * never overwrite what a later webhook refresh read.
 *
 * Rows are written in key order, as in every multi-row upsert of the mirror: writers of overlapping rows at once (a
 * customers page and a charges page, both naming the same customers) then lock them in one order. In list order they
 * deadlocked, and PostgreSQL aborted one.
 */
export async function upsertCustomers(db: Queryable, installId: string, rows: CustomerObservation[]): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `INSERT INTO stripe_customers (install_id, customer_id, email_normalized, deleted, customer, observed_at)
     SELECT $1, r.customer_id, r.email_normalized, r.deleted, r.customer, r.observed_at
     FROM jsonb_to_recordset($2::jsonb)
       AS r(customer_id text, email_normalized text, deleted boolean, customer jsonb, observed_at timestamptz)
     ORDER BY r.customer_id
     ON CONFLICT (install_id, customer_id) DO UPDATE
       SET email_normalized = EXCLUDED.email_normalized, deleted = EXCLUDED.deleted,
           customer = EXCLUDED.customer, observed_at = EXCLUDED.observed_at
       WHERE stripe_customers.observed_at <= EXCLUDED.observed_at`,
    [
      installId,
      JSON.stringify(
        rows.map((row) => ({
          customer_id: row.customerId,
          email_normalized: row.emailNormalized,
          deleted: row.deleted,
          customer: row.customer,
          observed_at: row.observedAt.toISOString(),
        })),
      ),
    ],
  );
}

/**
 * Records each customer's latest charge. Charges are never deleted, so a later-created charge always wins; the same
 * charge observed later wins too (its status moves from pending). A customer not yet mirrored gets a placeholder row
 * that the customer import fills in.
 *
 * `customerLists`: each row is the first of that customer's own charge list, read at `observedAt`. Then a later
 * observation also wins a tie on `created` (a retry within the same second as the charge it retries is listed first,
 * and the earlier read may have seen only the first). A row from an import page is only the newest on that page, so
 * it wins ties only for the same charge.
 */
export async function upsertLatestCharges(
  db: Queryable,
  installId: string,
  rows: { customerId: string; charge: LatestCharge; observedAt: Date }[],
  options: { customerLists?: boolean } = {},
): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `INSERT INTO stripe_customers (install_id, customer_id, deleted, customer, observed_at, latest_charge, latest_charge_observed_at)
     SELECT $1, r.customer_id, false, jsonb_build_object('id', r.customer_id, 'object', 'customer'),
            'epoch'::timestamptz, r.charge, r.observed_at
     FROM jsonb_to_recordset($2::jsonb) AS r(customer_id text, charge jsonb, observed_at timestamptz)
     ORDER BY r.customer_id
     ON CONFLICT (install_id, customer_id) DO UPDATE
       SET latest_charge = EXCLUDED.latest_charge, latest_charge_observed_at = EXCLUDED.latest_charge_observed_at
       WHERE stripe_customers.latest_charge IS NULL
          OR (EXCLUDED.latest_charge->>'created')::bigint > (stripe_customers.latest_charge->>'created')::bigint
          OR ((EXCLUDED.latest_charge->>'id' = stripe_customers.latest_charge->>'id'
               OR ($3 AND (EXCLUDED.latest_charge->>'created')::bigint
                          = (stripe_customers.latest_charge->>'created')::bigint))
              AND stripe_customers.latest_charge_observed_at <= EXCLUDED.latest_charge_observed_at)`,
    [
      installId,
      JSON.stringify(
        rows.map((row) => ({
          customer_id: row.customerId,
          charge: row.charge,
          observed_at: row.observedAt.toISOString(),
        })),
      ),
      options.customerLists ?? false,
    ],
  );
}

/** Which of these customers the mirror holds (placeholders left out), without reading their bodies. */
export async function mirroredCustomerIds(
  db: Queryable,
  installId: string,
  customerIds: string[],
): Promise<Set<string>> {
  const result = await db.query<{ customer_id: string }>(
    `SELECT customer_id FROM stripe_customers
     WHERE install_id = $1 AND customer_id = ANY($2) AND observed_at > 'epoch'`,
    [installId, customerIds],
  );
  return new Set(result.rows.map((row) => row.customer_id));
}

/** The latest charge of each of these customers the mirror holds (placeholders left out; null: none recorded). */
export async function mirroredLatestCharges(
  db: Queryable,
  installId: string,
  customerIds: string[],
): Promise<Map<string, LatestCharge | null>> {
  const result = await db.query<{ customer_id: string; latest_charge: LatestCharge | null }>(
    `SELECT customer_id, latest_charge FROM stripe_customers
     WHERE install_id = $1 AND customer_id = ANY($2) AND observed_at > 'epoch'`,
    [installId, customerIds],
  );
  return new Map(result.rows.map((row) => [row.customer_id, row.latest_charge]));
}

export async function countCustomersWithoutEmail(db: Queryable, installId: string): Promise<number> {
  const result = await db.query<{ count: string }>(
    `SELECT count(*) FROM stripe_customers
     WHERE install_id = $1 AND email_normalized IS NULL AND NOT deleted AND observed_at > 'epoch'`,
    [installId],
  );
  return Number(result.rows[0]?.count ?? 0);
}
