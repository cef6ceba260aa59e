import type { Queryable } from './queryable';

/** Kinds of warning: each is something the sync worked around and a person may want to fix. */
export type WarningCode = 'email_taken';

export interface InstallWarning {
  customerId: string;
  code: WarningCode;
  contactId: string | null;
  message: string;
  firstAt: Date;
  lastAt: Date;
}

export async function recordWarning(
  db: Queryable,
  installId: string,
  warning: { customerId: string; code: WarningCode; contactId: string | null; message: string },
): Promise<void> {
  await db.query(
    `INSERT INTO install_warnings (install_id, customer_id, code, contact_id, message) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (install_id, customer_id, code) DO UPDATE
       SET contact_id = EXCLUDED.contact_id, message = EXCLUDED.message, last_at = now()`,
    [installId, warning.customerId, warning.code, warning.contactId, warning.message],
  );
}

/** The situation behind a warning is over (e.g. the email could be written after all). */
export async function clearWarnings(
  db: Queryable,
  installId: string,
  customerIds: string[],
  code: WarningCode,
): Promise<void> {
  if (customerIds.length === 0) return;
  await db.query(`DELETE FROM install_warnings WHERE install_id = $1 AND customer_id = ANY($2) AND code = $3`, [
    installId,
    customerIds,
    code,
  ]);
}

/** How many warnings the install has, with the most recent ones (one query: the status page runs many at once). */
export async function warningSummary(
  db: Queryable,
  installId: string,
  limit: number,
): Promise<{ count: number; recent: InstallWarning[] }> {
  const result = await db.query<{
    customer_id: string;
    code: WarningCode;
    contact_id: string | null;
    message: string;
    first_at: Date;
    last_at: Date;
    total: string;
  }>(
    `SELECT customer_id, code, contact_id, message, first_at, last_at, count(*) OVER () AS total
     FROM install_warnings WHERE install_id = $1 ORDER BY last_at DESC LIMIT $2`,
    [installId, limit],
  );
  return {
    count: Number(result.rows[0]?.total ?? 0),
    recent: result.rows.map((row) => ({
      customerId: row.customer_id,
      code: row.code,
      contactId: row.contact_id,
      message: row.message,
      firstAt: row.first_at,
      lastAt: row.last_at,
    })),
  };
}
