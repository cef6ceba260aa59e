import type { Queryable } from './queryable';

export interface ImportRecord {
  id: string;
  installId: string;
  status: 'running' | 'completed' | 'failed' | 'canceled';
  pages: number;
  customersSeen: number;
  estimatedTotal: number | null;
  cursor: string | null;
  startedAt: Date;
  finishedAt: Date | null;
}

export async function createImport(db: Queryable, installId: string, importId: string): Promise<void> {
  await db.query(`INSERT INTO imports (id, install_id) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, [
    importId,
    installId,
  ]);
}

/**
 * Records progress after a page (absolute figures, so a retried page cannot count twice; pages read in parallel
 * finish in any order, so the figures never go back). The cursor is what an operator sees; the workflow holds the
 * durable ones.
 */
export async function recordImportProgress(
  db: Queryable,
  importId: string,
  progress: { pages: number; customersSeen: number; cursor: string | null; estimatedTotal: number | null },
): Promise<void> {
  await db.query(
    `UPDATE imports SET pages = GREATEST(pages, $2), customers_seen = GREATEST(customers_seen, $3), cursor = $4,
       estimated_total = $5 WHERE id = $1`,
    [importId, progress.pages, progress.customersSeen, progress.cursor, progress.estimatedTotal],
  );
}

/** Rows of imports still `running` for the install end as `canceled` (their workflow is being replaced). */
export async function cancelRunningImports(db: Queryable, installId: string): Promise<void> {
  await db.query(
    `UPDATE imports SET status = 'canceled', finished_at = now() WHERE install_id = $1 AND status = 'running'`,
    [installId],
  );
}

export async function completeImport(db: Queryable, importId: string, customersSeen: number): Promise<Date> {
  const result = await db.query<{ finished_at: Date }>(
    `UPDATE imports SET status = 'completed', finished_at = COALESCE(finished_at, now()), customers_seen = $2,
       estimated_total = $2
     WHERE id = $1 RETURNING finished_at`,
    [importId, customersSeen],
  );
  return result.rows[0]?.finished_at ?? new Date();
}

export async function latestImport(db: Queryable, installId: string): Promise<ImportRecord | undefined> {
  const result = await db.query<{
    id: string;
    install_id: string;
    status: ImportRecord['status'];
    pages: number;
    customers_seen: number;
    estimated_total: number | null;
    cursor: string | null;
    started_at: Date;
    finished_at: Date | null;
  }>(
    `SELECT id, install_id, status, pages, customers_seen, estimated_total, cursor, started_at, finished_at
     FROM imports WHERE install_id = $1 ORDER BY started_at DESC LIMIT 1`,
    [installId],
  );
  const row = result.rows[0];
  return (
    row && {
      id: row.id,
      installId: row.install_id,
      status: row.status,
      pages: row.pages,
      customersSeen: row.customers_seen,
      estimatedTotal: row.estimated_total,
      cursor: row.cursor,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
    }
  );
}

/** Temporal's close statuses of an import run, as an import row's status (others leave the row as it is). */
const ENDED_AS: Record<string, ImportRecord['status']> = {
  FAILED: 'failed',
  TIMED_OUT: 'failed',
  TERMINATED: 'canceled',
  CANCELLED: 'canceled',
};
/** The row is written just before its run starts; clocks of PostgreSQL and Temporal may disagree by this much. */
const CLOCK_SKEW_MS = 5_000;

/**
 * An import whose workflow run ended without completing (failed, terminated) still said `running`: the status then
 * records how it ended. A run that started before the row is an earlier import's, and says nothing about this one.
 */
export async function settleEndedImport(
  db: Queryable,
  row: ImportRecord,
  ended: { status: string; startedAt: Date },
): Promise<ImportRecord> {
  const status = ENDED_AS[ended.status];
  if (!status || ended.startedAt.getTime() < row.startedAt.getTime() - CLOCK_SKEW_MS) return row;
  const result = await db.query<{ status: ImportRecord['status']; finished_at: Date | null }>(
    `UPDATE imports SET status = $2, finished_at = COALESCE(finished_at, now()) WHERE id = $1 AND status = 'running'
     RETURNING status, finished_at`,
    [row.id, status],
  );
  const settled = result.rows[0];
  return settled ? { ...row, status: settled.status, finishedAt: settled.finished_at } : row;
}
