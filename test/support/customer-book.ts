// The test's own account of which Stripe customers share an Intercom contact, kept as the mutator changes them.
import assert from 'node:assert/strict';
import { normalizeEmail } from '../../src/mapping';

interface Group {
  id: number;
  members: Set<string>;
  /** No member's email has changed: every member still has the email the group was formed on. */
  stable: boolean;
  /** The contact existed in Intercom before the install (matched, not created): its email is never rewritten. */
  preexistingEmail: string | null;
}

/**
 * The test's own account of which Stripe customers end up on one Intercom contact (those sharing an email when they
 * got one; the link then sticks), kept as mutations happen, so that the expected state needs nothing from the service.
 * Mutations keep it unambiguous: only a customer alone on its contact changes email, and always to a new address.
 */
export class CustomerBook {
  private readonly groups: Group[] = [];
  private readonly groupOf = new Map<string, Group>();
  private readonly emails = new Map<string, string | null>();
  /** Every (normalized) email each customer has had. */
  private readonly pastEmails = new Map<string, Set<string>>();
  readonly deleted = new Set<string>();
  readonly customerIds: string[] = [];
  /** Customers that existed when the install was made: the import gives each with an email its contact. */
  private readonly imported = new Set<string>();
  private emailNumber = 0;

  nextEmailNumber(): number {
    return ++this.emailNumber;
  }

  add(customerId: string, email: string | null): void {
    this.customerIds.push(customerId);
    this.emails.set(customerId, email);
    const key = normalizeEmail(email);
    if (!key) return;
    this.pastEmails.set(customerId, new Set([key]));
    let group = this.groups.find((candidate) => candidate.stable && this.keyOf(candidate) === key);
    if (!group) {
      group = { id: this.groups.length, members: new Set(), stable: true, preexistingEmail: null };
      this.groups.push(group);
    }
    group.members.add(customerId);
    this.groupOf.set(customerId, group);
  }

  live(): string[] {
    return this.customerIds.filter((id) => !this.deleted.has(id));
  }

  emailOf(customerId: string): string | null {
    return this.emails.get(customerId) ?? null;
  }

  hasContact(customerId: string): boolean {
    return this.groupOf.has(customerId);
  }

  /** Emails of contacts that more customers may join (a stable group with a live member). */
  shareableEmails(): string[] {
    return this.groups
      .filter((group) => group.stable && [...group.members].some((id) => !this.deleted.has(id)))
      .map((group) => this.emails.get([...group.members][0] as string) as string);
  }

  /** Alone on its contact (so an email change cannot split a contact) and not a pre-existing Intercom user. */
  canChangeEmail(customerId: string): boolean {
    const group = this.groupOf.get(customerId);
    return !!group && group.members.size === 1 && !group.preexistingEmail && !this.deleted.has(customerId);
  }

  changeEmail(customerId: string, email: string): void {
    assert.ok(this.canChangeEmail(customerId));
    const group = this.groupOf.get(customerId) as Group;
    group.stable = false;
    this.emails.set(customerId, email);
    this.pastEmails.get(customerId)?.add(normalizeEmail(email) as string);
  }

  /** Call when the install is made. */
  markImported(): void {
    for (const id of this.customerIds) this.imported.add(id);
  }

  /**
   * Only an imported customer with a contact is deleted (a customer deleted before its first write gets no contact,
   * which a test could not predict), and only when a live customer stays on the contact or it is the only one (so
   * the contact shows that customer's id).
   */
  canDelete(customerId: string): boolean {
    const group = this.groupOf.get(customerId);
    if (!group || this.deleted.has(customerId) || !this.imported.has(customerId)) return false;
    const others = [...group.members].filter((id) => id !== customerId);
    return others.length === 0 || others.some((id) => !this.deleted.has(id));
  }

  markPreexisting(customerId: string, email: string): void {
    const group = this.groupOf.get(customerId);
    assert.ok(group);
    group.preexistingEmail = email;
  }

  /**
   * Contacts as lists of customer ids, with the (normalized) email to find each by in Intercom, and the other emails
   * it may carry when all its customers are deleted: Stripe keeps no email for a deleted customer, so an email
   * change made shortly before the deletion may never have been observable.
   */
  contacts(): Array<{ key: string; formerKeys: string[]; customerIds: string[]; preexisting: boolean }> {
    return this.groups.map((group) => {
      const key = this.keyOf(group);
      const allDeleted = [...group.members].every((id) => this.deleted.has(id));
      const former = allDeleted ? [...group.members].flatMap((id) => [...(this.pastEmails.get(id) ?? [])]) : [];
      return {
        key,
        formerKeys: [...new Set(former)].filter((email) => email !== key),
        customerIds: [...group.members],
        preexisting: group.preexistingEmail !== null,
      };
    });
  }

  contactKeyOf(customerId: string): string | undefined {
    const group = this.groupOf.get(customerId);
    return group && this.keyOf(group);
  }

  private keyOf(group: Group): string {
    if (group.preexistingEmail) return normalizeEmail(group.preexistingEmail) as string;
    // A stable group's members all have its email; a changed one has a single member.
    return normalizeEmail(this.emails.get([...group.members][0] as string) ?? null) as string;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Seeding and mutating the emulated Stripe account
