import type { Queryable } from './queryable';

export interface ContactRecord {
  contactId: string;
  emailNormalized: string | null;
  createdByUs: boolean;
  attributesHash: string | null;
  /** Found as an Intercom lead and not yet written: the next write also makes it a user. */
  isLead: boolean;
}

interface ContactRow {
  contact_id: string;
  email_normalized: string | null;
  created_by_us: boolean;
  attributes_hash: string | null;
  is_lead: boolean;
}

const CONTACT_SELECT = `SELECT contact_id, email_normalized, created_by_us, attributes_hash, is_lead FROM intercom_contacts`;

const toContact = (row: ContactRow): ContactRecord => ({
  contactId: row.contact_id,
  emailNormalized: row.email_normalized,
  createdByUs: row.created_by_us,
  attributesHash: row.attributes_hash,
  isLead: row.is_lead,
});

/** Contacts of the install whose `column` is one of `values`. */
async function findContactsWhere(
  db: Queryable,
  installId: string,
  column: 'email_normalized' | 'contact_id',
  values: string[],
): Promise<ContactRecord[]> {
  if (values.length === 0) return [];
  const result = await db.query<ContactRow>(`${CONTACT_SELECT} WHERE install_id = $1 AND ${column} = ANY($2)`, [
    installId,
    values,
  ]);
  return result.rows.map(toContact);
}

export function findContactsByEmail(db: Queryable, installId: string, emails: string[]): Promise<ContactRecord[]> {
  return findContactsWhere(db, installId, 'email_normalized', emails);
}

/** Contacts by id (one query for a batch's linked contacts). */
export function findContacts(db: Queryable, installId: string, contactIds: string[]): Promise<ContactRecord[]> {
  return findContactsWhere(db, installId, 'contact_id', contactIds);
}

/** Contacts with one of `contactIds` or one of `emails`, in one query (a batch's writes look theirs up by both). */
export async function findContactsByIdOrEmail(
  db: Queryable,
  installId: string,
  contactIds: string[],
  emails: string[],
): Promise<ContactRecord[]> {
  if (contactIds.length === 0 && emails.length === 0) return [];
  const result = await db.query<ContactRow>(
    `${CONTACT_SELECT} WHERE install_id = $1 AND (contact_id = ANY($2) OR email_normalized = ANY($3))`,
    [installId, contactIds, emails],
  );
  return result.rows.map(toContact);
}

/** Records a contact once; a later record of the same contact keeps the first `created_by_us`. */
export async function recordContact(
  db: Queryable,
  installId: string,
  contact: { contactId: string; emailNormalized: string | null; createdByUs: boolean; isLead?: boolean },
): Promise<void> {
  await db.query(
    `INSERT INTO intercom_contacts (install_id, contact_id, email_normalized, created_by_us, is_lead)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (install_id, contact_id) DO NOTHING`,
    [installId, contact.contactId, contact.emailNormalized, contact.createdByUs, contact.isLead ?? false],
  );
}

/**
 * Records a write to a contact in one statement: the contact (recorded if new, keeping the first `created_by_us`),
 * its attributes hash and email, the customers now linked to it, and, for a create of ours, the settled creation
 * intent of `settledIntentEmail`.
 */
export async function recordContactWritten(
  db: Queryable,
  installId: string,
  write: {
    contact: { contactId: string; createdByUs: boolean };
    attributesHash: string;
    emailNormalized: string | null;
    customerIds: string[];
    settledIntentEmail?: string | null;
  },
): Promise<void> {
  await db.query(
    `WITH contact AS (
       INSERT INTO intercom_contacts
         (install_id, contact_id, email_normalized, created_by_us, is_lead, attributes_hash, written_at)
       VALUES ($1, $2, $3, $4, false, $5, now())
       ON CONFLICT (install_id, contact_id) DO UPDATE
         SET attributes_hash = EXCLUDED.attributes_hash, email_normalized = EXCLUDED.email_normalized,
             is_lead = false, written_at = now()
     ), links AS (
       INSERT INTO contact_links (install_id, customer_id, contact_id)
       SELECT $1, unnest($6::text[]), $2
       ON CONFLICT (install_id, customer_id) DO NOTHING
     )
     DELETE FROM contact_creations WHERE install_id = $1 AND email_normalized = $7::text`,
    [
      installId,
      write.contact.contactId,
      write.emailNormalized,
      write.contact.createdByUs,
      write.attributesHash,
      write.customerIds,
      write.settledIntentEmail ?? null,
    ],
  );
}

/** Forgets a contact that no longer exists in Intercom (deleted there), with its links. */
export async function forgetContact(db: Queryable, installId: string, contactId: string): Promise<void> {
  await db.query(`DELETE FROM contact_links WHERE install_id = $1 AND contact_id = $2`, [installId, contactId]);
  await db.query(`DELETE FROM intercom_contacts WHERE install_id = $1 AND contact_id = $2`, [installId, contactId]);
}

export async function linkCustomers(
  db: Queryable,
  installId: string,
  customerIds: string[],
  contactId: string,
): Promise<void> {
  if (customerIds.length === 0) return;
  await db.query(
    `INSERT INTO contact_links (install_id, customer_id, contact_id)
     SELECT $1, unnest($2::text[]), $3
     ON CONFLICT (install_id, customer_id) DO NOTHING`,
    [installId, customerIds, contactId],
  );
}

export async function getLinks(db: Queryable, installId: string, customerIds: string[]): Promise<Map<string, string>> {
  const result = await db.query<{ customer_id: string; contact_id: string }>(
    `SELECT customer_id, contact_id FROM contact_links WHERE install_id = $1 AND customer_id = ANY($2)`,
    [installId, customerIds],
  );
  return new Map(result.rows.map((row) => [row.customer_id, row.contact_id]));
}

export async function contactCounts(db: Queryable, installId: string): Promise<{ created: number; matched: number }> {
  const result = await db.query<{ created: string; matched: string }>(
    `SELECT count(*) FILTER (WHERE created_by_us) AS created, count(*) FILTER (WHERE NOT created_by_us) AS matched
     FROM intercom_contacts WHERE install_id = $1`,
    [installId],
  );
  return { created: Number(result.rows[0]?.created ?? 0), matched: Number(result.rows[0]?.matched ?? 0) };
}

/**
 * Records, before an Intercom create, that this service is creating a user for `email`. Says whether an earlier
 * attempt already did (and was interrupted before recording its contact), and since when.
 */
export async function recordCreationIntent(
  db: Queryable,
  installId: string,
  email: string,
): Promise<{ requestedAt: Date; interrupted: boolean }> {
  // xmax = 0 only on a freshly inserted row: otherwise an earlier attempt recorded it and never settled it.
  const result = await db.query<{ requested_at: Date; inserted: boolean }>(
    `INSERT INTO contact_creations (install_id, email_normalized) VALUES ($1, $2)
     ON CONFLICT (install_id, email_normalized) DO UPDATE SET requested_at = contact_creations.requested_at
     RETURNING requested_at, (xmax = 0) AS inserted`,
    [installId, email],
  );
  const row = result.rows[0] as { requested_at: Date; inserted: boolean };
  return { requestedAt: row.requested_at, interrupted: !row.inserted };
}

/**
 * The unsettled creation intents among `emails` (a create of ours was requested and its contact never recorded: its
 * answer was lost or its worker died), with when each was first requested.
 */
export async function pendingCreationIntents(
  db: Queryable,
  installId: string,
  emails: string[],
): Promise<Map<string, Date>> {
  if (emails.length === 0) return new Map();
  const result = await db.query<{ email_normalized: string; requested_at: Date }>(
    `SELECT email_normalized, requested_at FROM contact_creations WHERE install_id = $1 AND email_normalized = ANY($2)`,
    [installId, emails],
  );
  return new Map(result.rows.map((row) => [row.email_normalized, row.requested_at]));
}

/** The create is settled (its contact is recorded): a later 409 for this email is no longer ours. */
export async function forgetCreationIntent(db: Queryable, installId: string, email: string): Promise<void> {
  await db.query(`DELETE FROM contact_creations WHERE install_id = $1 AND email_normalized = $2`, [installId, email]);
}

/** Every customer → contact link of the install (reconcile compares them with Stripe and Intercom). */
export async function allLinks(db: Queryable, installId: string): Promise<Map<string, string>> {
  const result = await db.query<{ customer_id: string; contact_id: string }>(
    `SELECT customer_id, contact_id FROM contact_links WHERE install_id = $1`,
    [installId],
  );
  return new Map(result.rows.map((row) => [row.customer_id, row.contact_id]));
}

/** Ids of the contacts this service created (their email and name follow their customer). */
export async function contactsCreatedByUs(db: Queryable, installId: string): Promise<Set<string>> {
  const result = await db.query<{ contact_id: string }>(
    `SELECT contact_id FROM intercom_contacts WHERE install_id = $1 AND created_by_us`,
    [installId],
  );
  return new Set(result.rows.map((row) => row.contact_id));
}

/** Forgets what was last written to these contacts (reconcile found them differing), so the sync writes them again. */
export async function forgetWrittenAttributes(db: Queryable, installId: string, contactIds: string[]): Promise<void> {
  if (contactIds.length === 0) return;
  await db.query(`UPDATE intercom_contacts SET attributes_hash = NULL WHERE install_id = $1 AND contact_id = ANY($2)`, [
    installId,
    contactIds,
  ]);
}

/**
 * Contacts of the install last written by another mapping version (their recorded hash lacks `currentPrefix`,
 * mapping/version.ts): how many, and the customers linked to the first `limit` of them, oldest write first.
 */
export async function staleWrittenContacts(
  db: Queryable,
  installId: string,
  currentPrefix: string,
  limit: number,
): Promise<{ contacts: number; customerIds: string[] }> {
  const stale = `install_id = $1 AND attributes_hash IS NOT NULL AND left(attributes_hash, length($2)) <> $2`;
  const [count, customers] = await Promise.all([
    db.query<{ count: string }>(`SELECT count(*) FROM intercom_contacts WHERE ${stale}`, [installId, currentPrefix]),
    db.query<{ customer_id: string }>(
      `SELECT l.customer_id FROM contact_links l
       JOIN (SELECT contact_id, written_at FROM intercom_contacts WHERE ${stale} ORDER BY written_at LIMIT $3) c
         USING (contact_id)
       WHERE l.install_id = $1 ORDER BY c.written_at, l.customer_id`,
      [installId, currentPrefix, limit],
    ),
  ]);
  return { contacts: Number(count.rows[0]?.count ?? 0), customerIds: customers.rows.map((row) => row.customer_id) };
}
