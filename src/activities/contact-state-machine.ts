import type { Pool } from 'pg';
import { sameWrittenContent, writtenHash } from '../mapping';
import {
  forgetContact,
  forgetCreationIntent,
  linkCustomers,
  recordContact,
  recordContactWritten,
  recordCreationIntent,
  type ContactRecord,
} from '../db/contacts';
import { getContactMembers, type MirroredCustomer } from '../db/mirror';
import { clearWarnings, recordWarning } from '../db/warnings';
import type { Install } from '../db/installs';
import type { SyncCounters } from '../shared/messages';
import { conflictingContactId, IntercomRejected, type ContactFields, type ContactGateway } from './intercom-gateway';
import { createdAfterRequest, shownOn, type ContactGroup, type ContactSearch } from './contact-search';
import { recordedContacts, type ReadAhead } from './contact-locks';
import { contactFields, type CatalogCache } from './contact-fields';

/**
 * Resolves and writes one group's contact, its lock held: the recorded contact, else the one the search found, else a
 * create; then an update when the attributes changed. Intercom's answers steer it: a 409 on create (the user exists:
 * ours from a lost answer, or one a lagging search missed), a 409 on update (another user holds the email), a 404 (the
 * contact was deleted in Intercom: resolved afresh, once).
 */
export class ContactStateMachine {
  constructor(
    private readonly install: Install,
    private readonly intercom: ContactGateway,
    private readonly pool: Pool,
    private readonly counters: SyncCounters,
    private readonly search: ContactSearch,
    private readonly catalogs: CatalogCache,
    private readonly now: () => Date,
  ) {}

  /**
   * Returns the contact id written, or null when the group has nothing to show (every customer deleted, unlinked).
   * `readAhead`: what the batch read for this group under its locks (a retry after a vanished contact reads afresh).
   */
  async write(group: ContactGroup, readAhead?: ReadAhead, isRetry = false): Promise<string | null> {
    const installId = this.install.id;
    let contact = readAhead ? readAhead.contact : (await recordedContacts(this.pool, installId, [group]))[0];
    const found = contact ? undefined : this.search.resultFor(group);
    if (found) {
      // A lead holding the email becomes the user on this first write (one person is one Intercom user, never a second). A user an
      // earlier attempt of ours created (its answer lost) is still ours.
      const ours = this.search.isOwnCreate(group, found);
      contact = { ...matchedContact(found.id, group.email, found.role === 'lead'), createdByUs: ours };
      await recordContact(this.pool, installId, contact);
      if (ours && group.email) await forgetCreationIntent(this.pool, installId, group.email);
    }

    const shown = shownOn(contact, group);
    const members =
      readAhead && readAhead.shownOn.contactId === shown.contactId && readAhead.shownOn.email === shown.email
        ? readAhead.members
        : await getContactMembers(this.pool, installId, shown);
    const nowSeconds = Math.floor(this.now().getTime() / 1000);
    const fields = await contactFields(this.install, this.catalogs, members, contact, nowSeconds);
    if (!fields) return contact?.contactId ?? null;
    const hash = writtenHash(fields);

    if (!contact) return this.create(group, members, fields, isRetry);
    if (sameWrittenContent(contact.attributesHash, hash)) {
      this.counters.unchanged += 1;
      // Written by another mapping version with the same result (catch-up/mapping-upgrade.ts): Intercom already holds
      // it, so only the record says which version computed it now.
      if (contact.attributesHash !== hash) await this.recordWrite(contact, members, hash, group.email);
      else await linkCustomers(this.pool, installId, idsOf(members), contact.contactId);
      return contact.contactId;
    }
    return this.updateExisting(group, contact, members, fields, isRetry);
  }

  /**
   * Creates the user, its intent recorded first: when the answer is lost after Intercom created it, the retry knows
   * the contact (found by search, or named by a 409: "A contact matching those details already exists with id=…",
   * https://developers.intercom.com/docs/references/2.1/rest-api/contacts/create-contact) as its own.
   */
  private async create(
    group: ContactGroup,
    members: MirroredCustomer[],
    fields: ContactFields,
    isRetry: boolean,
  ): Promise<string | null> {
    const installId = this.install.id;
    const intent = group.email ? await recordCreationIntent(this.pool, installId, group.email) : null;
    const created = await this.intercom.createUser(fields);
    const contact: ContactRecord = {
      contactId: created.id,
      emailNormalized: group.email,
      createdByUs: created.created || (intent !== null && (await this.createdByInterruptedCreate(created.id, intent))),
      attributesHash: null,
      isLead: false,
    };
    if (created.created) {
      this.counters.created += 1;
      await this.recordWrite(contact, members, writtenHash(fields), group.email, group.email);
      return contact.contactId;
    }
    await recordContact(this.pool, installId, contact);
    if (group.email) await forgetCreationIntent(this.pool, installId, group.email);
    // Intercom already had this user (created by a retried attempt of ours, or missed by a lagging search); a user
    // we did not create keeps its own email and name.
    const ownFields = contact.createdByUs ? fields : { custom_attributes: fields.custom_attributes };
    return this.updateExisting(group, contact, members, ownFields, isRetry);
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
    await this.recordWrite(contact, members, writtenHash(fields), group.email);
    if (fields.email) await clearWarnings(this.pool, this.install.id, idsOf(members), 'email_taken');
    return contact.contactId;
  }

  /**
   * Intercom answered 409: another user holds the email (or external id) this write carries.
   * - A lead we were turning into the user: that user (missed by a lagging search) is the person; link to it instead.
   * - A contact of ours whose customer changed email to another user's: the contact keeps its link and its old email,
   *   the attributes still flow, and the skipped email change is a warning on the install (docs/data.md).
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
      const user = matchedContact(holderId, group.email, false);
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
    await this.recordWrite(contact, members, writtenHash(fields), contact.emailNormalized);
    return contact.contactId;
  }

  /** The contact was deleted in Intercom since we linked it: forget it and resolve the group afresh, once. */
  private async resolveVanished(group: ContactGroup, contact: ContactRecord, isRetry: boolean): Promise<string | null> {
    await forgetContact(this.pool, this.install.id, contact.contactId);
    if (isRetry) throw new IntercomRejected(404, 'not_found', `contact ${contact.contactId} vanished twice`);
    return this.write({ ...group, contactId: null }, undefined, true);
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
    return createdAt !== null && createdAfterRequest(createdAt, intent.requestedAt);
  }
}

function matchedContact(contactId: string, email: string | null, isLead: boolean): ContactRecord {
  return { contactId, emailNormalized: email, createdByUs: false, attributesHash: null, isLead };
}

const idsOf = (members: MirroredCustomer[]): string[] => members.map((member) => member.customerId);
