import type { Pool } from 'pg';
import type Stripe from 'stripe';
import {
  attributesHash,
  catalogFromLists,
  catalogReferences,
  customerAttributes,
  dataEventFor,
  metadataValue,
  pickContactCustomer,
  subscriptionsOfEvent,
  type Catalog,
  type DataEvent,
} from '../mapping';
import {
  findContacts,
  findContactsByEmail,
  forgetContact,
  forgetCreationIntent,
  getLinks,
  linkCustomers,
  recordContact,
  recordContactWritten,
  recordCreationIntent,
  type ContactRecord,
} from '../db/contacts';
import {
  getCatalog,
  getContactMembers,
  getContactMembersOfEach,
  getCustomers,
  type MirroredCustomer,
  type ShownOn,
} from '../db/mirror';
import { getEvents, markEventsProcessed, markIntercomEventSent } from '../db/events';
import { UNMAPPABLE_EVENT, clearFailures, customersWithFailures, recordFailure } from '../db/failures';
import { reserveEventTime } from '../db/intercom-event-times';
import { clearWarnings, recordWarning } from '../db/warnings';
import { withAdvisoryLocks } from '../db/locks';
import type { Install } from '../db/installs';
import type { SyncCounters, WorkItem } from '../shared/messages';
import {
  conflictingContactId,
  IntercomRejected,
  type ContactFields,
  type FoundContact,
  type IntercomGateway,
} from './intercom-gateway';

/** Allowance between PostgreSQL's clock (when a create was requested) and Intercom's (when a contact was created). */
const CLOCK_SKEW_MS = 60_000;

export interface WriterDatabases {
  pool: Pool;
  lockPool: Pool;
}

/** Customers of one batch that end up on the same Intercom contact. */
interface ContactGroup {
  /** Linked contact, when one of the customers already has a link. */
  contactId: string | null;
  email: string | null;
  externalId: string | null;
  items: WorkItem[];
}

/** What a group's first write would read, read for the whole batch at once under its locks (ContactWriter.readAhead). */
interface ReadAhead {
  contact: ContactRecord | undefined;
  shownOn: ShownOn;
  members: MirroredCustomer[];
}

/**
 * Writes a batch of customers to Intercom: resolves each customer's contact (link, known contact, search, create),
 * computes the attributes from the current mirror, writes only when they changed, then sends the data events.
 */
export class ContactWriter {
  private readonly searchedByEmail = new Map<string, FoundContact>();
  private readonly searchedByExternalId = new Map<string, FoundContact>();
  /** The email of each contact the batch's customers are linked to (what its writes lock on), read once in plan. */
  private readonly linkedContactEmails = new Map<string, string | null>();
  /** Catalogue objects read for this batch (the batch's customers mostly share products and prices). */
  private readonly catalogObjects = new Map<string, { kind: 'product' | 'price' | 'coupon'; data: unknown }>();
  /** Each lone group's contact and members, read once its lock is held; taken by its first write. */
  private readonly readAhead = new Map<ContactGroup, ReadAhead>();
  /** The batch's customers with a contact failure recorded, read under the locks; null: not read, ask each time. */
  private failing: Set<string> | null = null;

  /**
   * `databases.pool` runs every query; `databases.lockPool` only holds the batch's advisory locks (see withLocks), so a
   * lock holder never waits for a connection that another lock holder has.
   */
  constructor(
    private readonly install: Install,
    private readonly intercom: IntercomGateway,
    databases: WriterDatabases,
    private readonly counters: SyncCounters,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.pool = databases.pool;
    this.lockPool = databases.lockPool;
  }

  private readonly pool: Pool;
  private readonly lockPool: Pool;

  /** The last per-customer failure this writer recorded (the batch reports it as the sync's last error). */
  lastFailure: string | null = null;

  /** Groups the batch by contact and runs the batched searches for customers not linked yet. */
  async plan(items: WorkItem[]): Promise<ContactGroup[]> {
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
      const group = groups.get(key) ?? { contactId, email, externalId: this.externalIdOf(customer), items: [] };
      group.items.push(item);
      groups.set(key, group);
    }
    await Promise.all([
      this.searchUnlinked([...groups.values()].filter((group) => !group.contactId)),
      this.readLinkedContactEmails([...groups.values()].flatMap((group) => (group.contactId ? [group.contactId] : []))),
      this.readCatalog(mirrored),
    ]);
    return [...groups.values()];
  }

  /**
   * Runs `work` holding, for the whole batch, the lock of every person the groups write (their email, else their
   * contact), so no other batch writes the same person meanwhile: one lock query per batch instead of two per
   * customer. Groups of the same person come in one bucket, to be written one after another.
   */
  async withLocks(groups: ContactGroup[], work: (buckets: ContactGroup[][]) => Promise<void>): Promise<void> {
    const buckets = new Map<string, ContactGroup[]>();
    for (const group of groups) {
      const key = `${this.install.id}:${await this.lockSubject(group)}`;
      buckets.set(key, [...(buckets.get(key) ?? []), group]);
    }
    if (buckets.size === 0) return;
    await withAdvisoryLocks(this.lockPool, [...buckets.keys()], async () => {
      const lone = [...buckets.values()].flatMap((bucket) => (bucket.length === 1 ? bucket : []));
      await this.readAheadOf(lone, groups);
      await work([...buckets.values()]);
    });
  }

  /**
   * Reads for the whole batch what each write would read for itself: the recorded contacts and the members they show
   * (for groups alone in their lock's bucket: an earlier write in a shared bucket changes what the next one would
   * read), and which customers have failures to clear. A few queries per batch instead of three per customer; safe
   * because every write of these people holds the locks held now.
   */
  private async readAheadOf(lone: ContactGroup[], all: ContactGroup[]): Promise<void> {
    const installId = this.install.id;
    const [contacts, failing] = await Promise.all([
      this.recordedContacts(lone),
      customersWithFailures(
        this.pool,
        installId,
        all.flatMap((group) => group.items.map((item) => item.customerId)),
      ),
    ]);
    this.failing = failing;
    const reads = lone.map((group, index) => {
      const contact = contacts[index];
      const contactId = contact?.contactId ?? this.searchResultFor(group)?.id ?? null;
      return { group, contact, shownOn: this.shownOn(contact ?? (contactId ? { contactId } : undefined), group) };
    });
    const members = await getContactMembersOfEach(
      this.pool,
      installId,
      reads.map((read) => read.shownOn),
    );
    reads.forEach((read, index) => this.readAhead.set(read.group, { ...read, members: members[index] ?? [] }));
  }

  /** Each group's recorded contact, as every write looks it up: by the linked contact's id, else by email. */
  private async recordedContacts(groups: ContactGroup[]): Promise<(ContactRecord | undefined)[]> {
    const installId = this.install.id;
    const [byId, byEmail] = await Promise.all([
      findContacts(
        this.pool,
        installId,
        groups.flatMap((group) => (group.contactId ? [group.contactId] : [])),
      ),
      findContactsByEmail(
        this.pool,
        installId,
        groups.flatMap((group) => (group.email ? [group.email] : [])),
      ),
    ]);
    const withId = new Map(byId.map((contact) => [contact.contactId, contact]));
    const withEmail = new Map(byEmail.map((contact) => [contact.emailNormalized, contact]));
    return groups.map(
      (group) =>
        (group.contactId ? withId.get(group.contactId) : undefined) ??
        (group.email ? withEmail.get(group.email) : undefined),
    );
  }

  /**
   * Writes one group's contact and events, its lock held (see withLocks). What no retry can fix
   * (Intercom rejecting the contact, Stripe data the mapping cannot handle) is recorded against its customers, and the
   * rest of the batch goes on.
   */
  async write(group: ContactGroup): Promise<void> {
    let contactId: string | null;
    try {
      contactId = await this.writeContact(group);
    } catch (err) {
      if (!(err instanceof IntercomRejected || err instanceof UnmappableStripeData)) throw err;
      await this.recordGroupFailure(group, err.message, err.code);
      return;
    }
    const customerIds = group.items.map((item) => item.customerId);
    if (this.failing === null || customerIds.some((customerId) => this.failing?.has(customerId))) {
      await clearFailures(this.pool, this.install.id, customerIds);
    }
    for (const item of group.items) await this.sendEvents(contactId, item);
  }

  /**
   * Records every customer of the group as failed with `reason` (shown by `GET /installs/:id/failures` and as the
   * sync's last error), its events settled as failed: retried only by a later change, a resync or reconcile --fix.
   */
  async recordGroupFailure(group: { items: WorkItem[] }, reason: string, code: string | null): Promise<void> {
    this.counters.failed += 1;
    this.lastFailure = reason;
    for (const item of group.items) {
      this.failing?.add(item.customerId);
      await recordFailure(this.pool, this.install.id, { customerId: item.customerId, reason, code });
      await markEventsProcessed(this.pool, this.install.id, item.eventIds, 'failed', reason);
    }
  }

  private async lockSubject(group: ContactGroup): Promise<string> {
    if (!group.contactId) return group.email ?? '';
    if (!this.linkedContactEmails.has(group.contactId)) await this.readLinkedContactEmails([group.contactId]);
    return this.linkedContactEmails.get(group.contactId) ?? group.contactId;
  }

  private async readLinkedContactEmails(contactIds: string[]): Promise<void> {
    if (contactIds.length === 0) return;
    for (const contact of await findContacts(this.pool, this.install.id, contactIds)) {
      this.linkedContactEmails.set(contact.contactId, contact.emailNormalized);
    }
  }

  /** Returns the contact id written, or null when the group has nothing to show (every customer deleted, unlinked). */
  private async writeContact(group: ContactGroup, isRetry = false): Promise<string | null> {
    const installId = this.install.id;
    // Read ahead for the first write of a lone group; a retry (after a vanished contact) reads afresh.
    const readAhead = isRetry ? undefined : this.readAhead.get(group);
    this.readAhead.delete(group);
    let contact = readAhead ? readAhead.contact : (await this.recordedContacts([group]))[0];
    const found = contact ? undefined : this.searchResultFor(group);
    if (found) {
      // A lead holding the email becomes the user on this first write (design §4: never a second person).
      contact = this.matchedContact(found.id, group.email, found.role === 'lead');
      await recordContact(this.pool, installId, contact);
    }

    const shownOn = this.shownOn(contact, group);
    const members =
      readAhead && readAhead.shownOn.contactId === shownOn.contactId && readAhead.shownOn.email === shownOn.email
        ? readAhead.members
        : await getContactMembers(this.pool, installId, shownOn);
    const fields = await this.fieldsFor(members, contact);
    if (!fields) return contact?.contactId ?? null;
    const hash = attributesHash(fields);

    if (!contact) {
      const intent = group.email ? await recordCreationIntent(this.pool, installId, group.email) : null;
      const created = await this.intercom.createUser(fields);
      contact = {
        contactId: created.id,
        emailNormalized: group.email,
        createdByUs:
          created.created || (intent !== null && (await this.createdByInterruptedCreate(created.id, intent))),
        attributesHash: null,
        isLead: false,
      };
      if (created.created) {
        this.counters.created += 1;
        await this.recordWrite(contact, members, hash, group.email, group.email);
        return contact.contactId;
      }
      await recordContact(this.pool, installId, contact);
      if (group.email) await forgetCreationIntent(this.pool, installId, group.email);
      // Intercom already had this user (created by a retried attempt of ours, or missed by a lagging search); a user
      // we did not create keeps its own email and name.
      const ownFields = contact.createdByUs ? fields : { custom_attributes: fields.custom_attributes };
      return this.updateExisting(group, contact, members, ownFields, isRetry);
    }
    if (contact.attributesHash === hash) {
      this.counters.unchanged += 1;
      await linkCustomers(this.pool, installId, idsOf(members), contact.contactId);
      return contact.contactId;
    }
    return this.updateExisting(group, contact, members, fields, isRetry);
  }

  private async updateExisting(
    group: ContactGroup,
    contact: ContactRecord,
    members: MirroredCustomer[],
    fields: ContactFields,
    isRetry: boolean,
  ): Promise<string | null> {
    // A lead becomes the user by updating its role on the same contact ("Accepted values are user or lead (only if
    // lead already)": https://developers.intercom.com/docs/references/2.1/rest-api/contacts/update-contact; `role` is
    // in 2.14's update_contact_request). Its hash leaves the role out: once it is a user the role is never sent again.
    const sent = contact.isLead ? { ...fields, role: 'user' as const } : fields;
    let updated: boolean;
    try {
      updated = await this.intercom.updateContact(contact.contactId, sent);
    } catch (err) {
      const holderId = conflictingContactId(err);
      if (!holderId) throw err;
      return this.resolveConflict(group, contact, members, fields, holderId, isRetry);
    }
    if (!updated) return this.resolveVanished(group, contact, isRetry);
    if (contact.attributesHash !== null) this.counters.updated += 1;
    else if (contact.createdByUs) this.counters.created += 1;
    else this.counters.matched += 1;
    await this.recordWrite(contact, members, attributesHash(fields), group.email);
    if (fields.email) await clearWarnings(this.pool, this.install.id, idsOf(members), 'email_taken');
    return contact.contactId;
  }

  /**
   * Intercom answered 409: another user holds the email (or external id) this write carries.
   * - A lead we were turning into the user: that user (missed by a lagging search) is the person; link to it instead.
   * - A contact of ours whose customer changed email to another user's: the contact keeps its link and its old email,
   *   the attributes still flow, and the skipped email change is a warning on the install (design §4).
   */
  private async resolveConflict(
    group: ContactGroup,
    contact: ContactRecord,
    members: MirroredCustomer[],
    fields: ContactFields,
    holderId: string,
    isRetry: boolean,
  ): Promise<string | null> {
    const installId = this.install.id;
    if (contact.isLead) {
      await forgetContact(this.pool, installId, contact.contactId);
      const user = this.matchedContact(holderId, group.email, false);
      await recordContact(this.pool, installId, user);
      return this.updateExisting(group, user, members, { custom_attributes: fields.custom_attributes }, isRetry);
    }
    if (!fields.email || holderId === contact.contactId) {
      throw new IntercomRejected(409, 'conflict', `contact ${contact.contactId}: Intercom refused the write (409)`);
    }
    const { email, ...withoutEmail } = fields;
    if (!(await this.intercom.updateContact(contact.contactId, withoutEmail))) {
      return this.resolveVanished(group, contact, isRetry);
    }
    const taken = email.trim().toLowerCase();
    const message =
      `email change to ${email} not written to Intercom contact ${contact.contactId}: ` +
      `Intercom user ${holderId} already has that email`;
    for (const member of members.filter((candidate) => candidate.emailNormalized === taken)) {
      await recordWarning(this.pool, installId, {
        customerId: member.customerId,
        code: 'email_taken',
        contactId: contact.contactId,
        message,
      });
    }
    this.counters.updated += 1;
    // The hash is the intended write's: unchanged data costs no call; the next change tries the email again.
    await this.recordWrite(contact, members, attributesHash(fields), contact.emailNormalized);
    return contact.contactId;
  }

  /** The contact was deleted in Intercom since we linked it: forget it and resolve the group afresh, once. */
  private async resolveVanished(group: ContactGroup, contact: ContactRecord, isRetry: boolean): Promise<string | null> {
    await forgetContact(this.pool, this.install.id, contact.contactId);
    if (isRetry) throw new IntercomRejected(404, 'not_found', `contact ${contact.contactId} vanished twice`);
    return this.writeContact({ ...group, contactId: null }, true);
  }

  private matchedContact(contactId: string, email: string | null, isLead: boolean): ContactRecord {
    return { contactId, emailNormalized: email, createdByUs: false, attributesHash: null, isLead };
  }

  private async recordWrite(
    contact: ContactRecord,
    members: MirroredCustomer[],
    hash: string,
    email: string | null,
    settledIntentEmail: string | null = null,
  ): Promise<void> {
    await recordContactWritten(this.pool, this.install.id, {
      contact,
      attributesHash: hash,
      emailNormalized: contact.createdByUs ? email : contact.emailNormalized,
      customerIds: idsOf(members),
      settledIntentEmail,
    });
    contact.isLead = false;
  }

  /**
   * Whether a contact Intercom reported as existing (409) was made by an earlier create of ours whose answer was lost
   * or whose worker died before recording it (its intent is still recorded, whatever attempt, batch or workflow run
   * made it), and Intercom created it after that create was requested. A user of the workspace that a lagging search
   * missed predates the intent.
   */
  private async createdByInterruptedCreate(
    contactId: string,
    intent: { requestedAt: Date; interrupted: boolean },
  ): Promise<boolean> {
    if (!intent.interrupted) return false;
    const createdAt = await this.intercom.contactCreatedAt(contactId);
    return createdAt !== null && createdAt * 1000 >= intent.requestedAt.getTime() - CLOCK_SKEW_MS;
  }

  /** Which customers show on the group's contact (getContactMembers): its links, its email, the group's own. */
  private shownOn(
    contact: (Pick<ContactRecord, 'contactId'> & Partial<ContactRecord>) | undefined,
    group: ContactGroup,
  ): ShownOn {
    return {
      contactId: contact?.contactId ?? null,
      email: group.email ?? contact?.emailNormalized ?? null,
      customerIds: group.items.map((item) => item.customerId),
    };
  }

  /**
   * The fields to write: the attributes of the customer the contact shows (design §4: the live customer whose primary
   * subscription ranks highest; a deleted one only when all are deleted), plus email and name on contacts this
   * service created.
   */
  private async fieldsFor(
    members: MirroredCustomer[],
    contact: ContactRecord | undefined,
  ): Promise<ContactFields | undefined> {
    const now = Math.floor(this.now().getTime() / 1000);
    const catalog = await this.catalogFor(members);
    const live = members.filter((member) => !member.deleted);
    const shown = pickContactCustomer(live, { catalog, now }) ?? members.find((member) => member.deleted);
    if (!shown) return undefined;
    const customer = shown.customer;
    const attributes = mapOrReject(`customer ${shown.customerId}`, () =>
      customerAttributes({
        customer,
        subscriptions: shown.subscriptions,
        latestCharge: shown.latestCharge,
        charges: shown.charges,
        catalog,
        prefix: this.install.attributePrefix,
        metadataKeys: this.install.metadataAttributes,
        now,
      }),
    );
    const fields: ContactFields = { custom_attributes: attributes };
    const ownsIdentity = !contact || contact.createdByUs;
    if (ownsIdentity && !shown.deleted) {
      const live = customer as Stripe.Customer;
      if (live.email) fields.email = live.email.trim();
      if (live.name) fields.name = live.name;
      const externalId = this.externalIdOf(shown);
      if (externalId) fields.external_id = externalId;
    }
    return fields;
  }

  /** The mirrored products, prices and coupons these customers' subscriptions refer to. */
  private async catalogFor(members: MirroredCustomer[]): Promise<Catalog> {
    const ids = catalogIdsOf(members);
    await this.readCatalogObjects(ids);
    return this.catalogOf(ids);
  }

  /** Reads at once the catalogue objects the batch's own customers refer to (other members' are read when met). */
  private async readCatalog(customers: MirroredCustomer[]): Promise<void> {
    await this.readCatalogObjects(catalogIdsOf(customers));
  }

  private async readCatalogObjects(ids: string[]): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.catalogObjects.has(id));
    if (missing.length === 0) return;
    const catalog = await getCatalog(this.pool, this.install.id, missing);
    for (const data of catalog.products) this.catalogObjects.set(data.id, { kind: 'product', data });
    for (const data of catalog.prices) this.catalogObjects.set(data.id, { kind: 'price', data });
    for (const data of catalog.coupons) this.catalogObjects.set(data.id, { kind: 'coupon', data });
  }

  private catalogOf(ids: string[]): Catalog {
    const objects = ids.flatMap((id) => {
      const object = this.catalogObjects.get(id);
      return object ? [object] : [];
    });
    const ofKind = <T>(kind: 'product' | 'price' | 'coupon') =>
      objects.filter((object) => object.kind === kind).map((object) => object.data as T);
    return catalogFromLists(
      ofKind<Stripe.Product>('product'),
      ofKind<Stripe.Price>('price'),
      ofKind<Stripe.Coupon>('coupon'),
    );
  }

  /**
   * Product names and price tiers for a subscription event (design §5: plan and price): webhook payloads carry the
   * product as an id and never a tiered price's tiers, so a price without a nickname would lose its plan name.
   */
  private async eventCatalog(event: Stripe.Event): Promise<Catalog | undefined> {
    const subscriptions = subscriptionsOfEvent(event);
    if (subscriptions.length === 0) return undefined;
    const references = catalogReferences(subscriptions);
    const catalog = await getCatalog(this.pool, this.install.id, [
      ...references.productIds,
      ...references.priceIds,
      ...references.couponIds,
    ]);
    return catalogFromLists(catalog.products, catalog.prices, catalog.coupons);
  }

  private async sendEvents(contactId: string | null, item: WorkItem): Promise<void> {
    if (item.eventIds.length === 0) return;
    const installId = this.install.id;
    const events = await getEvents(this.pool, installId, item.eventIds);
    const unmappable: string[] = [];
    for (const event of events) {
      if (event.intercomEventAt || !contactId) continue;
      const catalog = await this.eventCatalog(event.payload);
      let dataEvent: DataEvent | null;
      try {
        dataEvent = dataEventFor(event.payload, { catalog });
      } catch (err) {
        const reason = unmappableReason(`event ${event.eventId} (${event.type})`, err);
        await this.recordGroupFailure({ items: [{ ...item, eventIds: [event.eventId] }] }, reason, UNMAPPABLE_EVENT);
        unmappable.push(event.eventId);
        continue;
      }
      if (!dataEvent) continue;
      // Intercom keeps one event per (contact, name, created_at): a second same-type event in the same second moves on.
      const createdAt = await reserveEventTime(this.pool, installId, {
        eventId: event.eventId,
        contactId,
        eventName: dataEvent.event_name,
        createdAt: dataEvent.created_at,
      });
      await this.intercom.sendEvent({ contactId, name: dataEvent.event_name, createdAt, metadata: dataEvent.metadata });
      await markIntercomEventSent(this.pool, installId, event.eventId);
      this.counters.eventsSent += 1;
    }
    await markEventsProcessed(
      this.pool,
      installId,
      item.eventIds.filter((eventId) => !unmappable.includes(eventId)),
    );
  }

  private async searchUnlinked(groups: ContactGroup[]): Promise<void> {
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
        this.searchedByExternalId.set(key, contact);
      }
    }
    const toSearch = groups
      .filter((group) => group.email && !known.has(group.email) && !this.searchResultFor(group))
      .map((group) => group.email as string);
    for (const [key, contact] of await this.intercom.findContacts('email', toSearch))
      this.searchedByEmail.set(key, contact);
  }

  private searchResultFor(group: ContactGroup): FoundContact | undefined {
    const byExternalId = group.externalId ? this.searchedByExternalId.get(group.externalId.toLowerCase()) : undefined;
    return byExternalId ?? (group.email ? this.searchedByEmail.get(group.email) : undefined);
  }

  /** The app's user id from Stripe metadata when the install matches by it (`metadata:<key>`). */
  private externalIdOf(customer: MirroredCustomer | undefined): string | null {
    const key = this.install.matchBy.startsWith('metadata:') ? this.install.matchBy.slice('metadata:'.length) : null;
    if (!key || !customer || customer.deleted) return null;
    return metadataValue((customer.customer as Stripe.Customer).metadata, key) || null;
  }
}

const idsOf = (members: MirroredCustomer[]): string[] => members.map((member) => member.customerId);

/** Ids of the products, prices and coupons these customers' subscriptions and discounts refer to. */
export function catalogIdsOf(customers: MirroredCustomer[]): string[] {
  return customers.flatMap((member) => {
    if (member.customer.deleted) return [];
    const references = catalogReferences(member.subscriptions, member.customer.discount);
    return [...references.productIds, ...references.priceIds, ...references.couponIds];
  });
}

/** Stripe data the mapping threw on (a customer it cannot map): the same data fails the same way on every retry. */
export class UnmappableStripeData extends Error {
  override name = 'UnmappableStripeData';
  readonly code = 'unmappable_stripe_data';
}

function unmappableReason(subject: string, err: unknown): string {
  return `${subject} cannot be mapped: ${err instanceof Error ? err.message : String(err)}`;
}

function mapOrReject<T>(subject: string, map: () => T): T {
  try {
    return map();
  } catch (err) {
    throw new UnmappableStripeData(unmappableReason(subject, err));
  }
}
