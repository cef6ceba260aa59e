import type { Pool } from 'pg';
import type Stripe from 'stripe';
import { metadataValue } from '../mapping';
import { findContactsByEmail, getLinks, pendingCreationIntents, type ContactRecord } from '../db/contacts';
import { getCustomers, type MirroredCustomer, type ShownOn } from '../db/mirror';
import { markEventsProcessed } from '../db/events';
import type { Install } from '../db/installs';
import type { SyncCounters, WorkItem } from '../shared/messages';
import type { ContactGateway, FoundContact } from './intercom-gateway';

/** Customers of one batch that end up on the same Intercom contact. */
export interface ContactGroup {
  /** Linked contact, when one of the customers already has a link. */
  contactId: string | null;
  email: string | null;
  externalId: string | null;
  items: WorkItem[];
}

/**
 * Plans a batch: groups its customers by the contact they end up on, and runs the batched Intercom searches for the
 * groups not linked yet. Keeps what the searches found for the batch's writes.
 */
export class ContactSearch {
  private readonly byEmail = new Map<string, FoundContact>();
  private readonly byExternalId = new Map<string, FoundContact>();
  /** Emails whose create an earlier attempt requested and never recorded (its answer lost), with since when. */
  private pendingCreates = new Map<string, Date>();

  constructor(
    private readonly install: Install,
    private readonly intercom: ContactGateway,
    private readonly pool: Pool,
    private readonly counters: SyncCounters,
  ) {}

  /**
   * Groups the batch by contact (a linked contact, else the email). Customers with no contact to write (deleted, or
   * never linked and without an email) have their events settled here. Returns the groups and the mirrored customers.
   */
  async group(items: WorkItem[]): Promise<{ groups: ContactGroup[]; mirrored: MirroredCustomer[] }> {
    const ids = items.map((item) => item.customerId);
    const [mirrored, links] = await Promise.all([
      getCustomers(this.pool, this.install.id, ids),
      getLinks(this.pool, this.install.id, ids),
    ]);
    const byId = new Map(mirrored.map((customer) => [customer.customerId, customer]));
    const groups = new Map<string, ContactGroup>();
    for (const item of items) {
      const customer = byId.get(item.customerId);
      const contactId = links.get(item.customerId) ?? null;
      const email = customer?.emailNormalized ?? null;
      if (!contactId && (!customer || customer.deleted || !email)) {
        if (customer && !customer.deleted && !email) this.counters.skippedNoEmail += 1;
        await markEventsProcessed(this.pool, this.install.id, item.eventIds, 'processed', 'no Intercom contact');
        continue;
      }
      const key = contactId ? `contact:${contactId}` : `email:${email}`;
      const group = groups.get(key) ?? {
        contactId,
        email,
        externalId: externalIdOf(this.install, customer),
        items: [],
      };
      group.items.push(item);
      groups.set(key, group);
    }
    return { groups: [...groups.values()], mirrored };
  }

  /**
   * Searches Intercom for the unlinked groups' people not recorded yet: by external id first (installs matching by
   * metadata), then by email. Also reads which of them an earlier attempt of ours was creating (see isOwnCreate).
   */
  async searchUnlinked(groups: ContactGroup[]): Promise<void> {
    const emails = groups.flatMap((group) => (group.email ? [group.email] : []));
    if (emails.length === 0) return;
    const known = new Set(
      (await findContactsByEmail(this.pool, this.install.id, emails)).map((contact) => contact.emailNormalized),
    );
    const externalIds = groups.flatMap((group) =>
      group.externalId && !known.has(group.email) ? [group.externalId] : [],
    );
    if (externalIds.length > 0) {
      for (const [key, contact] of await this.intercom.findContacts('external_id', externalIds)) {
        this.byExternalId.set(key, contact);
      }
    }
    const toSearch = groups
      .filter((group) => group.email && !known.has(group.email) && !this.resultFor(group))
      .map((group) => group.email as string);
    for (const [key, contact] of await this.intercom.findContacts('email', toSearch)) this.byEmail.set(key, contact);
    const found = groups.flatMap((group) => (group.email && this.resultFor(group) ? [group.email] : []));
    this.pendingCreates = await pendingCreationIntents(this.pool, this.install.id, found);
  }

  /** The contact the searches found for the group: by its external id, else by its email. */
  resultFor(group: ContactGroup): FoundContact | undefined {
    const byExternalId = group.externalId ? this.byExternalId.get(group.externalId.toLowerCase()) : undefined;
    return byExternalId ?? (group.email ? this.byEmail.get(group.email) : undefined);
  }

  /**
   * Whether a contact the search found is the user an earlier create of ours made: that create's answer was lost (or
   * its worker died) after Intercom created the user, so its intent is still recorded, and Intercom created the
   * contact after the intent. Without this the retry would take its own contact for a pre-existing user of the
   * workspace, count it as matched and stop writing its email and name. Our creates make users, never leads. A user
   * of the workspace that predates the intent is not ours.
   */
  isOwnCreate(group: ContactGroup, found: FoundContact): boolean {
    const requestedAt = group.email ? this.pendingCreates.get(group.email) : undefined;
    if (!requestedAt || found.role !== 'user' || found.createdAt === null) return false;
    return createdAfterRequest(found.createdAt, requestedAt);
  }
}

/** Allowance between PostgreSQL's clock (when a create was requested) and Intercom's (when a contact was created). */
const CLOCK_SKEW_MS = 60_000;

/** Whether Intercom's `createdAt` (unix seconds) can be the answer to a create requested at `requestedAt`. */
export function createdAfterRequest(createdAt: number, requestedAt: Date): boolean {
  return createdAt * 1000 >= requestedAt.getTime() - CLOCK_SKEW_MS;
}

/** Which customers show on the group's contact (getContactMembers): its links, its email, the group's own. */
export function shownOn(
  contact: (Pick<ContactRecord, 'contactId'> & Partial<ContactRecord>) | undefined,
  group: ContactGroup,
): ShownOn {
  return {
    contactId: contact?.contactId ?? null,
    email: group.email ?? contact?.emailNormalized ?? null,
    customerIds: group.items.map((item) => item.customerId),
  };
}

/** The app's user id from Stripe metadata when the install matches by it (`metadata:<key>`). */
export function externalIdOf(install: Install, customer: MirroredCustomer | undefined): string | null {
  const key = install.matchBy.startsWith('metadata:') ? install.matchBy.slice('metadata:'.length) : null;
  if (!key || !customer || customer.deleted) return null;
  return metadataValue((customer.customer as Stripe.Customer).metadata, key) || null;
}
