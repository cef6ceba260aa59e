import type { Pool } from 'pg';
import { catalogIdsOf } from '../activities/contact-fields';
import { findContactsByEmail } from '../db/contacts';
import { getCatalog, getContactMembersOfEach, type MirroredCustomer } from '../db/mirror';
import {
  activeInstallsOfWorkspace,
  recentCharges,
  recentInvoices,
  type MirroredCharge,
  type RecordedInvoice,
  type WorkspaceInstall,
} from '../db/support-reads';
import { catalogFromLists, installCustomerAttributes, normalizeEmail, type CustomAttributes } from '../mapping';
import { subscriptionLines, type SubscriptionLine } from './subscription-lines';

/** The Intercom contact a teammate or Fin asks about, as Intercom describes it. */
export interface ContactRef {
  id: string | null;
  email: string | null;
}

/** One Stripe customer shown for a contact, read from the mirror only. */
export interface ShownCustomer {
  install: WorkspaceInstall;
  customer: MirroredCustomer;
  /** What the service computes for Intercom from this customer (the same mapping the sync writes with). */
  attributes: CustomAttributes;
  subscriptions: SubscriptionLine[];
  charges: MirroredCharge[];
  /** The newest invoices the service has recorded events of. */
  invoices: RecordedInvoice[];
}

const SUBSCRIPTIONS_SHOWN = 5;
const CHARGES_SHOWN = 5;
const INVOICES_SHOWN = 3;

/**
 * The mirrored Stripe customers of every active install of the workspace that show on the contact: those linked to
 * it, else unlinked customers with its email (several customers may share one). No Stripe call.
 */
export async function customersOfContact(
  pool: Pool,
  workspaceId: string,
  contact: ContactRef,
  now: Date,
): Promise<{ accounts: number; customers: ShownCustomer[] }> {
  const email = normalizeEmail(contact.email);
  const installs = await activeInstallsOfWorkspace(pool, workspaceId);
  if (contact.id === null && email === null) return { accounts: installs.length, customers: [] };
  const perInstall = await Promise.all(
    installs.map((install) => customersOfInstall(pool, install, { id: contact.id, email }, now)),
  );
  return { accounts: installs.length, customers: perInstall.flat() };
}

async function customersOfInstall(
  pool: Pool,
  install: WorkspaceInstall,
  contact: ContactRef,
  now: Date,
): Promise<ShownCustomer[]> {
  return showMembers(pool, install, await membersOf(pool, install.id, contact), now);
}

/** Mirrored customers of one install as shown: computed attributes, subscription lines, recent charges and invoices. */
export async function showMembers(
  pool: Pool,
  install: WorkspaceInstall,
  members: MirroredCustomer[],
  now: Date,
): Promise<ShownCustomer[]> {
  if (members.length === 0) return [];
  const customerIds = members.map((member) => member.customerId);
  const [lists, charges, invoices] = await Promise.all([
    getCatalog(pool, install.id, catalogIdsOf(members)),
    recentCharges(pool, install.id, customerIds, CHARGES_SHOWN),
    recentInvoices(pool, install.id, customerIds, INVOICES_SHOWN),
  ]);
  const catalog = catalogFromLists(lists.products, lists.prices, lists.coupons);
  const seconds = Math.floor(now.getTime() / 1000);
  // Live customers first; newest first within each.
  const ordered = [...members].sort(
    (a, b) =>
      Number(a.deleted) - Number(b.deleted) || createdOf(b) - createdOf(a) || a.customerId.localeCompare(b.customerId),
  );
  return ordered.map((member) => ({
    install,
    customer: member,
    attributes: installCustomerAttributes(install, member, catalog, seconds),
    subscriptions: subscriptionLines(member.subscriptions, catalog, SUBSCRIPTIONS_SHOWN),
    charges: charges.filter((charge) => charge.customerId === member.customerId),
    invoices: invoices.filter((invoice) => invoice.customerId === member.customerId),
  }));
}

/**
 * The contact's customers: by its id when known; by email alone, those of the install's contacts with that email
 * (a linked customer shows on its own contact only), else the unlinked customers with that email.
 */
async function membersOf(pool: Pool, installId: string, contact: ContactRef): Promise<MirroredCustomer[]> {
  const byEmail =
    contact.id === null && contact.email !== null
      ? (await findContactsByEmail(pool, installId, [contact.email])).map((record) => record.contactId)
      : [];
  const contactIds = contact.id !== null ? [contact.id] : byEmail.length > 0 ? byEmail : [null];
  const shownOn = contactIds.map((contactId) => ({ contactId, email: contact.email, customerIds: [] }));
  const unique = new Map<string, MirroredCustomer>();
  for (const member of (await getContactMembersOfEach(pool, installId, shownOn)).flat()) {
    unique.set(member.customerId, member);
  }
  return [...unique.values()];
}

function createdOf(member: MirroredCustomer): number {
  return member.customer.deleted ? 0 : member.customer.created;
}
