import type { Pool } from 'pg';
import { staleWrittenContacts } from '../db/contacts';
import { latestImport } from '../db/imports';
import type { Install } from '../db/installs';
import { CURRENT_HASH_PREFIX, MAPPING_VERSION } from '../mapping';
import type { StripeEventRef } from '../shared/messages';

/**
 * Stale contacts rewritten customer by customer in one pass at most: each of their customers is re-read from Stripe
 * (three calls) and its contact written by the sync workflow. Beyond this many, and with no import running, a resync
 * re-reads the whole account in list pages (about one call per 100 customers) and rewrites every contact instead; the
 * sync workflow's queue (carried across continue-as-new) stays small either way.
 */
export const MAPPING_REFRESH_LIMIT = 2_000;

export interface MappingUpgrade {
  /** Customers of stale contacts, for the sync workflow to re-read and write (refresh). */
  refs: StripeEventRef[];
  /** Too many stale contacts to hand over one by one: rebuild them with a resync. */
  resyncNeeded: boolean;
  /** Contacts last written by another mapping version. */
  staleContacts: number;
}

const NOTHING_STALE: MappingUpgrade = { refs: [], resyncNeeded: false, staleContacts: 0 };

/**
 * What rewrites the install's contacts that another mapping version wrote (mapping/version.ts): after a deploy that
 * changes the mapping, every contact must show what the current code computes, also those whose customers see no new
 * Stripe event. Run at worker start and at each periodic catch-up, so contacts written by an older worker still
 * running during a rolling deploy are rewritten too. Customers are re-read from Stripe, not only rewritten from the
 * mirror: an older release may also have kept Stripe data in the mirror differently (a charge's captured amounts).
 *
 * While an import runs (one an older worker began, say), stale contacts are handed over one by one, up to
 * MAPPING_REFRESH_LIMIT a pass; its later pages are written by the current code anyway.
 */
export async function planMappingUpgrade(
  pool: Pool,
  install: Pick<Install, 'id' | 'status'>,
  now: Date = new Date(),
): Promise<MappingUpgrade> {
  if (install.status !== 'live' && install.status !== 'importing') return NOTHING_STALE;
  const stale = await staleWrittenContacts(pool, install.id, CURRENT_HASH_PREFIX, MAPPING_REFRESH_LIMIT);
  if (stale.contacts === 0) return NOTHING_STALE;
  if (stale.contacts > MAPPING_REFRESH_LIMIT && (await latestImport(pool, install.id))?.status !== 'running') {
    return { refs: [], resyncNeeded: true, staleContacts: stale.contacts };
  }
  // A pass's own ids: the workflow drops an id it has seen (RECENT_EVENT_WINDOW), and a later pass must not be.
  const pass = now.getTime().toString(36);
  const refs = stale.customerIds.map((customerId) => ({
    eventId: `mapping_v${MAPPING_VERSION}_${pass}_${customerId}`,
    customerId,
    refresh: true,
  }));
  return { refs, resyncNeeded: false, staleContacts: stale.contacts };
}
