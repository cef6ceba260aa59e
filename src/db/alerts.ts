import type { Queryable } from './queryable';

/** An install's alert webhook and what it last said. */
export interface AlertTarget {
  installId: string;
  urlSealed: string;
  lastState: string;
  lastSentAt: Date | null;
  lastResult: string | null;
}

interface AlertRow {
  install_id: string;
  url_enc: string;
  last_state: string;
  last_sent_at: Date | null;
  last_result: string | null;
}

const toTarget = (row: AlertRow): AlertTarget => ({
  installId: row.install_id,
  urlSealed: row.url_enc,
  lastState: row.last_state,
  lastSentAt: row.last_sent_at,
  lastResult: row.last_result,
});

export async function setAlertTarget(db: Queryable, installId: string, urlSealed: string): Promise<void> {
  await db.query(
    `INSERT INTO install_alerts (install_id, url_enc) VALUES ($1, $2)
     ON CONFLICT (install_id) DO UPDATE SET url_enc = EXCLUDED.url_enc, last_state = 'ok', last_result = NULL`,
    [installId, urlSealed],
  );
}

export async function removeAlertTarget(db: Queryable, installId: string): Promise<void> {
  await db.query(`DELETE FROM install_alerts WHERE install_id = $1`, [installId]);
}

export async function findAlertTarget(db: Queryable, installId: string): Promise<AlertTarget | undefined> {
  const result = await db.query<AlertRow>(`SELECT * FROM install_alerts WHERE install_id = $1`, [installId]);
  return result.rows[0] && toTarget(result.rows[0]);
}

/** Every alert target of an install that is not disabled (what the alert check looks at). */
export async function activeAlertTargets(db: Queryable): Promise<AlertTarget[]> {
  const result = await db.query<AlertRow>(
    `SELECT a.* FROM install_alerts a JOIN installs i ON i.id = a.install_id WHERE i.status <> 'disabled'`,
  );
  return result.rows.map(toTarget);
}

/** Records what was sent (or tried): `state` only when the message reached the webhook. */
export async function recordAlertSent(
  db: Queryable,
  installId: string,
  outcome: { state: string | null; result: string },
): Promise<void> {
  await db.query(
    `UPDATE install_alerts SET last_state = COALESCE($2, last_state), last_sent_at = now(), last_result = $3
     WHERE install_id = $1`,
    [installId, outcome.state, outcome.result],
  );
}
