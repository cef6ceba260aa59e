import type Stripe from 'stripe';
import type { Queryable } from './queryable';

/** What the inbox card and Fin's answers need of an install. */
export interface WorkspaceInstall {
  id: string;
  stripeAccountId: string;
  livemode: boolean;
  attributePrefix: string;
  metadataAttributes: string[];
  /** The workspace's primary Stripe account: listed first. */
  primary: boolean;
}

/**
 * The workspace's installs that are not disabled, the primary first, then oldest first. The primary is the one chosen
 * (workspace_primary), else the oldest.
 */
export async function activeInstallsOfWorkspace(db: Queryable, workspaceId: string): Promise<WorkspaceInstall[]> {
  const { rows } = await db.query<{
    id: string;
    stripe_account_id: string;
    livemode: boolean;
    attribute_prefix: string;
    metadata_attributes: string[];
    chosen: boolean;
  }>(
    `SELECT i.id, i.stripe_account_id, i.livemode, i.attribute_prefix, i.metadata_attributes,
            (p.install_id IS NOT NULL) AS chosen
       FROM installs i LEFT JOIN workspace_primary p ON p.intercom_workspace_id = i.intercom_workspace_id
        AND p.install_id = i.id
      WHERE i.intercom_workspace_id = $1 AND i.status <> 'disabled' ORDER BY i.created_at, i.id`,
    [workspaceId],
  );
  const primaryId = (rows.find((row) => row.chosen) ?? rows[0])?.id;
  const installs = rows.map((row) => ({
    id: row.id,
    stripeAccountId: row.stripe_account_id,
    livemode: row.livemode,
    attributePrefix: row.attribute_prefix,
    metadataAttributes: row.metadata_attributes,
    primary: row.id === primaryId,
  }));
  return [...installs.filter((one) => one.primary), ...installs.filter((one) => !one.primary)];
}

/** Makes the install its workspace's primary Stripe account. */
export async function choosePrimary(db: Queryable, workspaceId: string, installId: string): Promise<void> {
  await db.query(
    `INSERT INTO workspace_primary (intercom_workspace_id, install_id) VALUES ($1, $2)
     ON CONFLICT (intercom_workspace_id) DO UPDATE SET install_id = EXCLUDED.install_id, chosen_at = now()`,
    [workspaceId, installId],
  );
}

export interface MirroredCharge {
  chargeId: string;
  customerId: string;
  status: string;
  currency: string;
  amountCaptured: number;
  amountRefunded: number;
  /** Unix seconds. */
  created: number;
}

/** The newest `perCustomer` mirrored charges of each of these customers, newest first. */
export async function recentCharges(
  db: Queryable,
  installId: string,
  customerIds: string[],
  perCustomer: number,
): Promise<MirroredCharge[]> {
  if (customerIds.length === 0) return [];
  const { rows } = await db.query<{
    charge_id: string;
    customer_id: string;
    status: string;
    currency: string;
    amount_captured: string;
    amount_refunded: string;
    created: string;
  }>(
    `SELECT c.* FROM unnest($2::text[]) AS ids(customer_id)
       CROSS JOIN LATERAL (
         SELECT charge_id, customer_id, status, currency, amount_captured, amount_refunded, created
           FROM stripe_charges
          WHERE install_id = $1 AND customer_id = ids.customer_id
          ORDER BY created DESC, charge_id DESC LIMIT $3) AS c`,
    [installId, customerIds, perCustomer],
  );
  return rows.map((row) => ({
    chargeId: row.charge_id,
    customerId: row.customer_id,
    status: row.status,
    currency: row.currency,
    amountCaptured: Number(row.amount_captured),
    amountRefunded: Number(row.amount_refunded),
    created: Number(row.created),
  }));
}

/** Whether every one of these customers was read from Stripe at or after `since` (the mirror row's observed_at). */
export async function allObservedSince(
  db: Queryable,
  installId: string,
  customerIds: string[],
  since: Date,
): Promise<boolean> {
  const { rows } = await db.query<{ stale: number }>(
    `SELECT count(*)::int AS stale FROM stripe_customers
      WHERE install_id = $1 AND customer_id = ANY($2) AND observed_at < $3`,
    [installId, customerIds, since],
  );
  return (rows[0]?.stale ?? 0) === 0;
}

/** An invoice as its newest recorded event showed it (amounts in minor units, dates unix seconds). */
export interface RecordedInvoice {
  invoiceId: string;
  customerId: string;
  number: string | null;
  status: string | null;
  currency: string;
  amountDue: number;
  /** Stripe tried to collect it (a failed attempt leaves it `open` with this set). */
  attempted: boolean;
  dueDate: number | null;
  created: number;
  hostedInvoiceUrl: string | null;
}

/**
 * The newest `perCustomer` invoices of each customer as their recorded `invoice.*` events carry them (no Stripe call):
 * per invoice its newest event; of events in the same second the further one (draft, open, settled; more attempts).
 * Only invoices whose events reached the service within EVENT_RETENTION_DAYS are known.
 */
export async function recentInvoices(
  db: Queryable,
  installId: string,
  customerIds: string[],
  perCustomer: number,
): Promise<RecordedInvoice[]> {
  if (customerIds.length === 0) return [];
  const { rows } = await db.query<{ customer_id: string; invoice: Stripe.Invoice }>(
    `SELECT ids.customer_id, latest.invoice FROM unnest($2::text[]) AS ids(customer_id)
       CROSS JOIN LATERAL (
         SELECT invoice FROM (
           SELECT DISTINCT ON (payload->'data'->'object'->>'id') payload->'data'->'object' AS invoice
             FROM stripe_events
            WHERE install_id = $1 AND customer_id = ids.customer_id AND type LIKE 'invoice.%'
            ORDER BY payload->'data'->'object'->>'id', created DESC,
                     CASE payload->'data'->'object'->>'status' WHEN 'draft' THEN 0 WHEN 'open' THEN 1 ELSE 2 END DESC,
                     COALESCE((payload->'data'->'object'->>'attempt_count')::int, 0) DESC
         ) AS per_invoice
         ORDER BY (invoice->>'created')::bigint DESC, invoice->>'id' DESC LIMIT $3) AS latest`,
    [installId, customerIds, perCustomer],
  );
  return rows.map(({ customer_id: customerId, invoice }) => ({
    invoiceId: invoice.id ?? '',
    customerId,
    number: invoice.number ?? null,
    status: invoice.status ?? null,
    currency: invoice.currency,
    amountDue: invoice.amount_due,
    attempted: invoice.attempted === true,
    dueDate: invoice.due_date ?? null,
    created: invoice.created,
    hostedInvoiceUrl: invoice.hosted_invoice_url ?? null,
  }));
}
