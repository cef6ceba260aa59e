import type { Queryable } from './queryable';

/**
 * Every column that holds a secret sealed by crypto/secret-box, by table. Key rotation re-seals all of them and the
 * start-up check probes each table: a sealed column missing here would keep an old key's ciphertext, and the
 * service would lose it when that key is dropped (issue 16). test/integration/secrets-at-rest.test.ts checks this
 * list against the schema: every `*_enc` column must be named here.
 */
export const SEALED_TABLES = [
  { table: 'installs', id: 'id', columns: ['stripe_api_key_enc', 'intercom_token_enc', 'webhook_secret_enc'] },
  { table: 'stripe_grants', id: 'id', columns: ['access_token_enc', 'refresh_token_enc'] },
  // An alert webhook's URL (a Slack incoming-webhook URL is its own credential).
  { table: 'install_alerts', id: 'install_id', columns: ['url_enc'] },
  // An expired session is never opened again (and is swept): neither probed nor re-sealed.
  {
    table: 'web_sessions',
    id: 'id_hash',
    columns: ['intercom_token_enc', 'stripe_key_enc'],
    current: 'expires_at > now()',
  },
] as const satisfies readonly SealedTableSpec[];

interface SealedTableSpec {
  table: string;
  id: string;
  columns: readonly string[];
  /** Rows outside this condition are never read again. */
  current?: string;
}

export type SealedTable = (typeof SEALED_TABLES)[number];

export interface SealedRow {
  id: string;
  /** column → sealed value, only the columns that hold one. */
  sealed: Map<string, string>;
}

/** A table's rows that hold at least one sealed value, newest first. */
export async function listSealedRows(db: Queryable, spec: SealedTable): Promise<SealedRow[]> {
  const columns = spec.columns.join(', ');
  // A wiped secret is stored as '' (a disconnected install's grant): nothing to open or re-seal.
  const anySealed = spec.columns.map((column) => `${column} <> ''`).join(' OR ');
  const current = 'current' in spec ? ` AND ${spec.current}` : '';
  const result = await db.query<Record<string, string | null>>(
    `SELECT ${spec.id} AS row_id, ${columns} FROM ${spec.table} WHERE (${anySealed})${current} ORDER BY created_at DESC`,
  );
  return result.rows.map((row) => ({
    id: String(row.row_id),
    sealed: new Map(
      spec.columns.flatMap((column) => {
        const value = row[column];
        return typeof value === 'string' && value !== '' ? [[column, value] as const] : [];
      }),
    ),
  }));
}

/**
 * Replaces one sealed value only if it is still the one read: a token refreshed (or a credential rotated) meanwhile
 * keeps its newer value. Returns whether it was replaced.
 */
export async function replaceSealedValue(
  db: Queryable,
  spec: SealedTable,
  id: string,
  column: string,
  expected: string,
  next: string,
): Promise<boolean> {
  // Names come from SEALED_TABLES only, never from input: they are interpolated into SQL.
  if (!(spec.columns as readonly string[]).includes(column)) throw new Error(`${spec.table}.${column} is not sealed`);
  const result = await db.query(`UPDATE ${spec.table} SET ${column} = $3 WHERE ${spec.id} = $1 AND ${column} = $2`, [
    id,
    expected,
    next,
  ]);
  return (result.rowCount ?? 0) > 0;
}
