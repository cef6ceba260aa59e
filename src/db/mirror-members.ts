import type Stripe from 'stripe';
import type { ChargeHistory } from '../mapping';
import type { Queryable } from './queryable';
import type { LatestCharge, MirroredCustomer } from './mirror-customers';

/*
 * Reads of mirrored customers joined with their subscriptions and charges (stripe_customers, stripe_subscriptions,
 * stripe_charges) and, for a contact's members, with contact_links.
 */

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
    // Every lookup is a LATERAL subquery with OFFSET 0, which PostgreSQL never flattens into a join: flattened, the
    // planner (guessing 100 rows for jsonb_to_recordset, and planning a big import's batches before autovacuum has
    // analyzed the rows the import wrote) hashed every customer and link of the install, so each batch's read grew
    // with the install (test/integration/mirror-members.test.ts). Here each row of `shown` costs a few index lookups.
    `WITH shown AS (
       SELECT * FROM jsonb_to_recordset($2::jsonb) AS s(shown int, contact_id text, email text, customer_ids text[])
     ), members AS (
       SELECT s.shown, linked.customer_id FROM shown s
         CROSS JOIN LATERAL (SELECT l.customer_id FROM contact_links l
                              WHERE l.install_id = $1 AND l.contact_id = s.contact_id OFFSET 0) AS linked
       UNION
       SELECT s.shown, same_email.customer_id FROM shown s
         CROSS JOIN LATERAL (SELECT e.customer_id FROM stripe_customers e
                              WHERE e.install_id = $1 AND e.email_normalized = s.email OFFSET 0) AS same_email
         LEFT JOIN LATERAL (SELECT l.contact_id FROM contact_links l
                             WHERE l.install_id = $1 AND l.customer_id = same_email.customer_id OFFSET 0) AS link ON true
        WHERE link.contact_id IS NULL OR link.contact_id = s.contact_id
       UNION
       SELECT s.shown, unnest(s.customer_ids) FROM shown s
     )
     SELECT m.shown, mirrored.* FROM members m
       CROSS JOIN LATERAL (${MIRROR_SELECT} WHERE c.install_id = $1 AND c.customer_id = m.customer_id
                            AND c.observed_at > 'epoch' OFFSET 0) AS mirrored
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
