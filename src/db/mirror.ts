import type Stripe from 'stripe';
import { chargeMoney, referencedId, type ChargeHistory } from '../mapping';
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
 */
export async function upsertCustomers(db: Queryable, installId: string, rows: CustomerObservation[]): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `INSERT INTO stripe_customers (install_id, customer_id, email_normalized, deleted, customer, observed_at)
     SELECT $1, r.customer_id, r.email_normalized, r.deleted, r.customer, r.observed_at
     FROM jsonb_to_recordset($2::jsonb)
       AS r(customer_id text, email_normalized text, deleted boolean, customer jsonb, observed_at timestamptz)
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

interface CustomerRow {
  customer_id: string;
  email_normalized: string | null;
  deleted: boolean;
  customer: Stripe.Customer | Stripe.DeletedCustomer;
  latest_charge: LatestCharge | null;
  subscriptions: Stripe.Subscription[];
  last_succeeded: ChargeHistory['lastSucceeded'];
  net_by_currency: Record<string, string | number>;
  observed_at: Date;
}

function toMirrored(row: CustomerRow): MirroredCustomer {
  return {
    customerId: row.customer_id,
    emailNormalized: row.email_normalized,
    deleted: row.deleted,
    customer: row.customer,
    latestCharge: row.latest_charge,
    subscriptions: row.subscriptions.length > 0 ? row.subscriptions : embeddedSubscriptions(row.customer),
    charges: {
      lastSucceeded: row.last_succeeded,
      netByCurrency: Object.fromEntries(Object.entries(row.net_by_currency).map(([code, net]) => [code, Number(net)])),
    },
    observedAt: row.observed_at,
  };
}

/**
 * Rows mirrored before migration 002 carry the customer's first 10 ongoing subscriptions inside the customer; they
 * stand in until the customer is next read (a refresh or a resync lists all of them and drops the embedded copy).
 */
function embeddedSubscriptions(customer: Stripe.Customer | Stripe.DeletedCustomer): Stripe.Subscription[] {
  return customer.deleted ? [] : (customer.subscriptions?.data ?? []);
}

/** A customer row with its subscriptions and what its charges took (mapping's chargeHistory, in SQL). */
const MIRROR_SELECT = `
  SELECT c.customer_id, c.email_normalized, c.deleted, c.customer, c.latest_charge, c.observed_at,
    COALESCE((SELECT jsonb_agg(s.data ORDER BY s.subscription_id) FROM stripe_subscriptions s
              WHERE s.install_id = c.install_id AND s.customer_id = c.customer_id), '[]') AS subscriptions,
    (SELECT jsonb_build_object('amount', ch.amount_captured, 'currency', ch.currency, 'created', ch.created)
       FROM stripe_charges ch
      WHERE ch.install_id = c.install_id AND ch.customer_id = c.customer_id AND ch.status = 'succeeded'
        AND ch.amount_captured > 0
      ORDER BY ch.created DESC, ch.charge_id DESC LIMIT 1) AS last_succeeded,
    COALESCE((SELECT jsonb_object_agg(t.currency, t.net) FROM
               (SELECT ch.currency, sum(ch.amount_captured - ch.amount_refunded) AS net FROM stripe_charges ch
                 WHERE ch.install_id = c.install_id AND ch.customer_id = c.customer_id AND ch.status = 'succeeded'
                 GROUP BY ch.currency) t), '{}') AS net_by_currency
  FROM stripe_customers c`;

/** Mirrored customers by id; placeholder rows (a charge seen before its customer) are left out. */
export async function getCustomers(
  db: Queryable,
  installId: string,
  customerIds: string[],
): Promise<MirroredCustomer[]> {
  const result = await db.query<CustomerRow>(
    `${MIRROR_SELECT} WHERE c.install_id = $1 AND c.customer_id = ANY($2) AND c.observed_at > 'epoch'`,
    [installId, customerIds],
  );
  return result.rows.map(toMirrored);
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

export async function getCustomersByEmail(
  db: Queryable,
  installId: string,
  emails: string[],
): Promise<MirroredCustomer[]> {
  const result = await db.query<CustomerRow>(
    `${MIRROR_SELECT} WHERE c.install_id = $1 AND c.email_normalized = ANY($2) AND c.observed_at > 'epoch'`,
    [installId, emails],
  );
  return result.rows.map(toMirrored);
}

/** Who a contact shows: the customers linked to it, unlinked customers with its email, and these customers. */
export interface ShownOn {
  contactId: string | null;
  email: string | null;
  customerIds: string[];
}

/**
 * The mirrored customers that show on one contact, in one query: those linked to `contactId`, the customers sharing
 * `email` that are linked to no other contact, and `customerIds` themselves.
 */
export async function getContactMembers(
  db: Queryable,
  installId: string,
  shownOn: ShownOn,
): Promise<MirroredCustomer[]> {
  return (await getContactMembersOfEach(db, installId, [shownOn]))[0] ?? [];
}

/**
 * The mirrored customers shown on each of several contacts, in one query (a batch reads its contacts' members at
 * once): those linked to the contact, plus unlinked customers sharing its email (customers linked to another contact
 * keep their link), plus the given customers. Placeholder rows are left out.
 */
export async function getContactMembersOfEach(
  db: Queryable,
  installId: string,
  shownOn: ShownOn[],
): Promise<MirroredCustomer[][]> {
  if (shownOn.length === 0) return [];
  const result = await db.query<CustomerRow & { shown: number }>(
    `WITH shown AS (
       SELECT * FROM jsonb_to_recordset($2::jsonb) AS s(shown int, contact_id text, email text, customer_ids text[])
     ), members AS (
       SELECT s.shown, l.customer_id FROM shown s
         JOIN contact_links l ON l.install_id = $1 AND l.contact_id = s.contact_id
       UNION
       SELECT s.shown, e.customer_id FROM shown s
         JOIN stripe_customers e ON e.install_id = $1 AND e.email_normalized = s.email
         LEFT JOIN contact_links l ON l.install_id = e.install_id AND l.customer_id = e.customer_id
        WHERE l.contact_id IS NULL OR l.contact_id = s.contact_id
       UNION
       SELECT s.shown, unnest(s.customer_ids) FROM shown s
     )
     SELECT m.shown, mirrored.* FROM members m
       CROSS JOIN LATERAL (${MIRROR_SELECT} WHERE c.install_id = $1 AND c.customer_id = m.customer_id
                            AND c.observed_at > 'epoch') AS mirrored
      ORDER BY m.shown, mirrored.customer_id`,
    [
      installId,
      JSON.stringify(
        shownOn.map((one, shown) => ({
          shown,
          contact_id: one.contactId,
          email: one.email,
          customer_ids: one.customerIds,
        })),
      ),
    ],
  );
  const members = shownOn.map((): MirroredCustomer[] => []);
  for (const row of result.rows) members[row.shown]?.push(toMirrored(row));
  return members;
}

export async function countCustomersWithoutEmail(db: Queryable, installId: string): Promise<number> {
  const result = await db.query<{ count: string }>(
    `SELECT count(*) FROM stripe_customers
     WHERE install_id = $1 AND email_normalized IS NULL AND NOT deleted AND observed_at > 'epoch'`,
    [installId],
  );
  return Number(result.rows[0]?.count ?? 0);
}

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

/**
 * Writes charges (those with a customer) as observed: refunds change a charge, so a later observation wins.
 * `amount_captured` and `amount_refunded` hold what the charge took and gave back (`chargeMoney`), not Stripe's raw
 * fields: an uncaptured authorization took nothing, and the part of an authorization released by a partial capture,
 * which Stripe counts as refunded, was never taken.
 *
 * `monotonic`: the charges come from event payloads, which arrive in any order. A charge only moves one way (its
 * status leaves `pending` once; captured and refunded amounts only grow), so each field keeps the furthest state
 * seen, and the row counts as observed now (our clock, never the event's): a list read begun earlier (an import page)
 * cannot overwrite it afterwards.
 */
export async function upsertCharges(
  db: Queryable,
  installId: string,
  charges: Stripe.Charge[],
  observedAt: Date,
  options: { monotonic?: boolean } = {},
): Promise<void> {
  const rows = charges.flatMap((charge) => {
    const customerId = referencedId(charge.customer);
    if (!customerId) return [];
    const { id, status, currency, created } = charge;
    const { taken: captured, returned: refunded } = chargeMoney(charge);
    return [{ id, customer_id: customerId, status, currency, captured, refunded, created }];
  });
  if (rows.length === 0) return;
  await db.query(
    `INSERT INTO stripe_charges
       (install_id, charge_id, customer_id, status, currency, amount_captured, amount_refunded, created, observed_at)
     SELECT $1, r.id, r.customer_id, r.status, lower(r.currency), r.captured, r.refunded, r.created, $3
     FROM jsonb_to_recordset($2::jsonb)
       AS r(id text, customer_id text, status text, currency text, captured bigint, refunded bigint, created bigint)
     ON CONFLICT (install_id, charge_id) DO UPDATE
       SET status = CASE WHEN $4 AND EXCLUDED.status = 'pending' THEN stripe_charges.status ELSE EXCLUDED.status END,
           amount_captured = CASE WHEN $4 THEN GREATEST(stripe_charges.amount_captured, EXCLUDED.amount_captured)
                                  ELSE EXCLUDED.amount_captured END,
           amount_refunded = CASE WHEN $4 THEN GREATEST(stripe_charges.amount_refunded, EXCLUDED.amount_refunded)
                                  ELSE EXCLUDED.amount_refunded END,
           observed_at = GREATEST(stripe_charges.observed_at, EXCLUDED.observed_at)
       WHERE $4 OR stripe_charges.observed_at <= EXCLUDED.observed_at`,
    [installId, JSON.stringify(rows), observedAt.toISOString(), options.monotonic ?? false],
  );
}

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
