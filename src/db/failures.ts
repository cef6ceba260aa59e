import type { Queryable } from './queryable';

export interface CustomerFailure {
  customerId: string;
  reason: string;
  code: string | null;
  attempts: number;
  firstFailedAt: Date;
  lastFailedAt: Date;
}

export async function recordFailure(
  db: Queryable,
  installId: string,
  failure: { customerId: string; reason: string; code: string | null },
): Promise<void> {
  await db.query(
    `INSERT INTO customer_failures (install_id, customer_id, reason, code) VALUES ($1, $2, $3, $4)
     ON CONFLICT (install_id, customer_id) DO UPDATE
       SET reason = EXCLUDED.reason, code = EXCLUDED.code, attempts = customer_failures.attempts + 1,
           last_failed_at = now()`,
    [installId, failure.customerId, failure.reason, failure.code],
  );
}

/**
 * Failure code of a data event the mapping cannot handle: a failure of that event, not of the customer's contact, so
 * a later successful write of the contact does not clear it.
 */
export const UNMAPPABLE_EVENT = 'unmappable_stripe_event';

/** Which of these customers have a contact failure recorded (what clearFailures would clear). */
export async function customersWithFailures(
  db: Queryable,
  installId: string,
  customerIds: string[],
): Promise<Set<string>> {
  if (customerIds.length === 0) return new Set();
  const result = await db.query<{ customer_id: string }>(
    `SELECT customer_id FROM customer_failures
     WHERE install_id = $1 AND customer_id = ANY($2) AND code IS DISTINCT FROM $3`,
    [installId, customerIds, UNMAPPABLE_EVENT],
  );
  return new Set(result.rows.map((row) => row.customer_id));
}

/** Clears the customers' contact failures (their contact was just written). */
export async function clearFailures(db: Queryable, installId: string, customerIds: string[]): Promise<void> {
  if (customerIds.length === 0) return;
  await db.query(
    `DELETE FROM customer_failures WHERE install_id = $1 AND customer_id = ANY($2) AND code IS DISTINCT FROM $3`,
    [installId, customerIds, UNMAPPABLE_EVENT],
  );
}

export async function listFailures(db: Queryable, installId: string, limit: number): Promise<CustomerFailure[]> {
  const result = await db.query<{
    customer_id: string;
    reason: string;
    code: string | null;
    attempts: number;
    first_failed_at: Date;
    last_failed_at: Date;
  }>(
    `SELECT customer_id, reason, code, attempts, first_failed_at, last_failed_at FROM customer_failures
     WHERE install_id = $1 ORDER BY last_failed_at DESC LIMIT $2`,
    [installId, limit],
  );
  return result.rows.map((row) => ({
    customerId: row.customer_id,
    reason: row.reason,
    code: row.code,
    attempts: row.attempts,
    firstFailedAt: row.first_failed_at,
    lastFailedAt: row.last_failed_at,
  }));
}

export async function countFailures(db: Queryable, installId: string): Promise<number> {
  const result = await db.query<{ count: string }>(`SELECT count(*) FROM customer_failures WHERE install_id = $1`, [
    installId,
  ]);
  return Number(result.rows[0]?.count ?? 0);
}
