import type { Queryable } from './queryable';

/** The figures shown of one import run so far (each only grows; see migration 007). */
export interface ShownProgress {
  phaseRank: number;
  billingObjects: number;
  customersRead: number;
  customersDone: number;
  contactsWritten: number;
  total: number | null;
  percent: number | null;
  customersStartedAt: Date | null;
  customersDoneAtStart: number | null;
}

/** Figures just observed; null: not known this time (the shown one stays). */
export type ObservedProgress = {
  [K in keyof Omit<ShownProgress, 'customersStartedAt' | 'customersDoneAtStart'>]: number | null;
};

interface ShownRow {
  phase_rank: number;
  billing_objects: number;
  customers_read: number;
  customers_done: number;
  contacts_written: number;
  total: number | null;
  percent: number | null;
  customers_started_at: Date | null;
  customers_done_at_start: number | null;
}

const toShown = (row: ShownRow): ShownProgress => ({
  phaseRank: row.phase_rank,
  billingObjects: row.billing_objects,
  customersRead: row.customers_read,
  customersDone: row.customers_done,
  contactsWritten: row.contacts_written,
  total: row.total,
  percent: row.percent,
  customersStartedAt: row.customers_started_at,
  customersDoneAtStart: row.customers_done_at_start,
});

const CUSTOMERS_PHASE = 2;

/**
 * Merges what was just observed into what was shown: every figure is the greatest of the two (GREATEST skips a
 * null), so concurrent readers and a source that falls back to older figures can never make one go down. The first
 * time the customers phase is seen, its start and the customers done then are kept for its rate.
 */
export async function mergeShownProgress(
  db: Queryable,
  importId: string,
  seen: ObservedProgress,
): Promise<ShownProgress> {
  const result = await db.query<ShownRow>(
    `INSERT INTO import_progress AS p (import_id, phase_rank, billing_objects, customers_read, customers_done,
        contacts_written, total, percent)
     VALUES ($1, COALESCE($2, 0), COALESCE($3, 0), COALESCE($4, 0), COALESCE($5, 0), COALESCE($6, 0), $7, $8)
     ON CONFLICT (import_id) DO UPDATE SET
       phase_rank = GREATEST(p.phase_rank, EXCLUDED.phase_rank),
       billing_objects = GREATEST(p.billing_objects, EXCLUDED.billing_objects),
       customers_read = GREATEST(p.customers_read, EXCLUDED.customers_read),
       customers_done = GREATEST(p.customers_done, EXCLUDED.customers_done),
       contacts_written = GREATEST(p.contacts_written, EXCLUDED.contacts_written),
       total = GREATEST(p.total, EXCLUDED.total),
       percent = GREATEST(p.percent, EXCLUDED.percent),
       updated_at = now()
     RETURNING *`,
    [
      importId,
      seen.phaseRank,
      seen.billingObjects,
      seen.customersRead,
      seen.customersDone,
      seen.contactsWritten,
      seen.total,
      seen.percent,
    ],
  );
  const row = result.rows[0] as ShownRow;
  if (row.phase_rank < CUSTOMERS_PHASE || row.customers_started_at !== null) return toShown(row);
  const started = await db.query<ShownRow>(
    `UPDATE import_progress SET customers_started_at = COALESCE(customers_started_at, now()),
       customers_done_at_start = COALESCE(customers_done_at_start, customers_done)
     WHERE import_id = $1 RETURNING *`,
    [importId],
  );
  return toShown(started.rows[0] as ShownRow);
}

/** Raises the shown percentage (never lowers it); returns the one to show. */
export async function raiseShownPercent(
  db: Queryable,
  importId: string,
  percent: number | null,
): Promise<number | null> {
  const result = await db.query<{ percent: number | null }>(
    `UPDATE import_progress SET percent = GREATEST(percent, $2) WHERE import_id = $1 RETURNING percent`,
    [importId, percent],
  );
  return result.rows[0]?.percent ?? percent;
}

/** What the database knows of a run while it goes: objects read, customers known, contacts written. */
export interface RunFacts {
  /** An earlier run of the install exists: this one is a resync. */
  resync: boolean;
  /** Billing objects (catalogue, subscriptions, charges) read since the run started, and known from before it. */
  billingRead: number;
  billingKnownBefore: number;
  /** Customers in the mirror (not deleted): a resync's total. */
  mirroredCustomers: number;
  /** Intercom contacts written since the run started. */
  contactsWritten: number;
  /** Customers linked to an Intercom contact (several customers sharing an email share one). */
  linkedCustomers: number;
  expectedCustomers: number | null;
}

export async function runFacts(db: Queryable, installId: string, importId: string): Promise<RunFacts> {
  const result = await db.query<{
    resync: boolean;
    billing_read: string;
    billing_total: string;
    mirrored: string;
    written: string;
    linked: string;
    expected: number | null;
  }>(
    // Only what happened during the run counts: after it ended, webhooks' writes are no part of it.
    `WITH run AS (
       SELECT started_at, COALESCE(finished_at, 'infinity') AS ended_at, expected_customers FROM imports WHERE id = $2
     ),
     billing AS (
       SELECT observed_at FROM stripe_catalog WHERE install_id = $1
       UNION ALL SELECT observed_at FROM stripe_subscriptions WHERE install_id = $1
       UNION ALL SELECT observed_at FROM stripe_charges WHERE install_id = $1
     )
     SELECT
       EXISTS (SELECT 1 FROM imports i, run WHERE i.install_id = $1 AND i.started_at < run.started_at) AS resync,
       (SELECT count(*) FROM billing, run WHERE billing.observed_at BETWEEN run.started_at AND run.ended_at)
         AS billing_read,
       (SELECT count(*) FROM billing) AS billing_total,
       (SELECT count(*) FROM stripe_customers WHERE install_id = $1 AND NOT deleted AND observed_at > 'epoch')
         AS mirrored,
       (SELECT count(*) FROM intercom_contacts c, run
        WHERE c.install_id = $1 AND c.written_at BETWEEN run.started_at AND run.ended_at) AS written,
       (SELECT count(*) FROM contact_links WHERE install_id = $1) AS linked,
       (SELECT expected_customers FROM run) AS expected`,
    [installId, importId],
  );
  const row = result.rows[0];
  const billingRead = Number(row?.billing_read ?? 0);
  return {
    resync: row?.resync ?? false,
    billingRead,
    billingKnownBefore: Number(row?.billing_total ?? 0) - billingRead,
    mirroredCustomers: Number(row?.mirrored ?? 0),
    contactsWritten: Number(row?.written ?? 0),
    linkedCustomers: Number(row?.linked ?? 0),
    expectedCustomers: row?.expected ?? null,
  };
}

/** The preview's count of customers, as the total of the install's first import. */
export async function setExpectedCustomers(db: Queryable, importId: string, customers: number): Promise<void> {
  await db.query(`UPDATE imports SET expected_customers = $2 WHERE id = $1`, [importId, customers]);
}

/** One import or resync as the run history shows it. */
export interface RunRecord {
  importId: string;
  kind: 'import' | 'resync';
  status: 'running' | 'completed' | 'failed' | 'canceled';
  startedAt: Date;
  finishedAt: Date | null;
  phaseRank: number;
  customersRead: number;
  customersDone: number;
  contactsWritten: number;
}

/** The install's runs, newest first. */
export async function runHistory(db: Queryable, installId: string, limit: number): Promise<RunRecord[]> {
  const result = await db.query<{
    id: string;
    first: boolean;
    status: RunRecord['status'];
    started_at: Date;
    finished_at: Date | null;
    phase_rank: number | null;
    customers_read: number | null;
    customers_seen: number;
    customers_done: number | null;
    contacts_written: number | null;
  }>(
    `SELECT i.id, i.started_at = min(i.started_at) OVER () AS first, i.status, i.started_at, i.finished_at,
       p.phase_rank, p.customers_read, i.customers_seen, p.customers_done, p.contacts_written
     FROM imports i LEFT JOIN import_progress p ON p.import_id = i.id
     WHERE i.install_id = $1 ORDER BY i.started_at DESC LIMIT $2`,
    [installId, limit],
  );
  return result.rows.map((row) => {
    const completed = row.status === 'completed';
    const read = Math.max(row.customers_read ?? 0, row.customers_seen);
    return {
      importId: row.id,
      kind: row.first ? 'import' : 'resync',
      status: row.status,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      phaseRank: completed ? 4 : (row.phase_rank ?? 0),
      customersRead: read,
      customersDone: completed ? read : (row.customers_done ?? 0),
      contactsWritten: row.contacts_written ?? 0,
    };
  });
}
