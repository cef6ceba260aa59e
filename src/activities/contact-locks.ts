import type { Pool } from 'pg';
import { findContacts, findContactsByIdOrEmail, type ContactRecord } from '../db/contacts';
import { getContactMembersOfEach, type MirroredCustomer, type ShownOn } from '../db/mirror';
import { customersWithFailures } from '../db/failures';
import { withAdvisoryLocks } from '../db/locks';
import { shownOn, type ContactGroup, type ContactSearch } from './contact-search';

/** What a group's first write would read, read for the whole batch at once under its locks (BatchLocks.readAhead). */
export interface ReadAhead {
  contact: ContactRecord | undefined;
  shownOn: ShownOn;
  members: MirroredCustomer[];
}

/**
 * The batch's advisory locks, one per person written, and what is read once they are held: each lone group's contact
 * and members, and which customers have failures to clear.
 */
export class BatchLocks {
  /** The email of each contact the batch's customers are linked to (what its writes lock on), read once in plan. */
  private readonly linkedContactEmails = new Map<string, string | null>();
  /** Each lone group's contact and members, read once its lock is held; taken by its first write. */
  private readonly readAhead = new Map<ContactGroup, ReadAhead>();

  /**
   * `pool` runs every query; `lockPool` only holds the batch's advisory locks, so a lock holder never waits for a
   * connection that another lock holder has.
   */
  constructor(
    private readonly installId: string,
    private readonly pool: Pool,
    private readonly lockPool: Pool,
    private readonly search: ContactSearch,
  ) {}

  /**
   * Runs `work` holding, for the whole batch, the lock of every person the groups write (their email, else their
   * contact), so no other batch writes the same person meanwhile: one lock query per batch instead of two per
   * customer. Groups of the same person come in one bucket, to be written one after another. Returns the batch's
   * customers with failures recorded, read under the locks.
   */
  async withLocks(
    groups: ContactGroup[],
    onLocked: (failing: Set<string>) => void,
    work: (buckets: ContactGroup[][]) => Promise<void>,
  ): Promise<void> {
    const buckets = new Map<string, ContactGroup[]>();
    for (const group of groups) {
      const key = `${this.installId}:${await this.lockSubject(group)}`;
      buckets.set(key, [...(buckets.get(key) ?? []), group]);
    }
    if (buckets.size === 0) return;
    await withAdvisoryLocks(this.lockPool, [...buckets.keys()], async () => {
      const lone = [...buckets.values()].flatMap((bucket) => (bucket.length === 1 ? bucket : []));
      onLocked(await this.readAheadOf(lone, groups));
      await work([...buckets.values()]);
    });
  }

  /** The group's read-ahead, once: a later write of the group (after a vanished contact) reads afresh. */
  take(group: ContactGroup): ReadAhead | undefined {
    const read = this.readAhead.get(group);
    this.readAhead.delete(group);
    return read;
  }

  async readLinkedContactEmails(contactIds: string[]): Promise<void> {
    if (contactIds.length === 0) return;
    for (const contact of await findContacts(this.pool, this.installId, contactIds)) {
      this.linkedContactEmails.set(contact.contactId, contact.emailNormalized);
    }
  }

  private async lockSubject(group: ContactGroup): Promise<string> {
    if (!group.contactId) return group.email ?? '';
    if (!this.linkedContactEmails.has(group.contactId)) await this.readLinkedContactEmails([group.contactId]);
    return this.linkedContactEmails.get(group.contactId) ?? group.contactId;
  }

  /**
   * Reads for the whole batch what each write would read for itself: the recorded contacts and the members they show
   * (for groups alone in their lock's bucket: an earlier write in a shared bucket changes what the next one would
   * read), and which customers have failures to clear. A few queries per batch instead of three per customer; safe
   * because every write of these people holds the locks held now.
   */
  private async readAheadOf(lone: ContactGroup[], all: ContactGroup[]): Promise<Set<string>> {
    const [contacts, failing] = await Promise.all([
      recordedContacts(this.pool, this.installId, lone),
      customersWithFailures(
        this.pool,
        this.installId,
        all.flatMap((group) => group.items.map((item) => item.customerId)),
      ),
    ]);
    const reads = lone.map((group, index) => {
      const contact = contacts[index];
      const contactId = contact?.contactId ?? this.search.resultFor(group)?.id ?? null;
      return { group, contact, shownOn: shownOn(contact ?? (contactId ? { contactId } : undefined), group) };
    });
    const members = await getContactMembersOfEach(
      this.pool,
      this.installId,
      reads.map((read) => read.shownOn),
    );
    reads.forEach((read, index) => this.readAhead.set(read.group, { ...read, members: members[index] ?? [] }));
    return failing;
  }
}

/** Each group's recorded contact, as every write looks it up: by the linked contact's id, else by email. */
export async function recordedContacts(
  pool: Pool,
  installId: string,
  groups: ContactGroup[],
): Promise<(ContactRecord | undefined)[]> {
  const found = await findContactsByIdOrEmail(
    pool,
    installId,
    groups.flatMap((group) => (group.contactId ? [group.contactId] : [])),
    groups.flatMap((group) => (group.email ? [group.email] : [])),
  );
  // Every row holding a group's id or a group's email is in `found`: keyed both ways, it answers both lookups.
  const withId = new Map(found.map((contact) => [contact.contactId, contact]));
  const withEmail = new Map(
    found.flatMap((contact) => (contact.emailNormalized ? [[contact.emailNormalized, contact]] : [])),
  );
  return groups.map(
    (group) =>
      (group.contactId ? withId.get(group.contactId) : undefined) ??
      (group.email ? withEmail.get(group.email) : undefined),
  );
}
