import type Stripe from 'stripe';
import type { IntercomClient } from 'intercom-client';
import type { Pool } from 'pg';
import type { Config } from '../config';
import type { SecretBox } from '../crypto/secret-box';
import {
  DATA_EVENT_TYPES,
  DEFAULT_EVENT_NAME_PREFIX,
  installCustomerAttributes,
  dataEventFor,
  normalizeEmail,
  pickContactCustomer,
  type Catalog,
} from '../mapping';
import { findInstall, type Install } from '../db/installs';
import { allLinks, contactsCreatedByUs, forgetWrittenAttributes } from '../db/contacts';
import { clearIntercomEventSent, recordedEventsOfTypes, type RecordedEvent } from '../db/events';
import { reservedEventTimes } from '../db/intercom-event-times';
import { createIntercomClient } from '../vendors/intercom';
import { InstallContexts } from '../activities/install-context';
import type { StripePacers } from '../vendors/stripe-pacer';
import type { InstallWorkflows } from '../temporal-client/workflows';
import type { StripeEventRef } from '../shared/messages';
import { StripeStateReader, type StripeCustomerState } from './stripe-state';
import { listContactEvents, listContacts, type ListedContact } from './intercom-state';

/** Intercom lists only data events younger than 90 days; older ones cannot be checked. */
const EVENTS_LISTABLE_DAYS = 89;

export type DriftProblem =
  | { kind: 'missing_contact' }
  | { kind: 'duplicate_contacts'; contactIds: string[] }
  | { kind: 'attributes_differ'; attributes: { name: string; expected: unknown; actual: unknown }[] }
  /** A contact this service created shows another email or name than its customer's. */
  | { kind: 'identity_differs'; fields: { name: string; expected: unknown; actual: unknown }[] }
  | { kind: 'events_missing'; eventIds: string[] }
  | { kind: 'unexpected_events'; events: { name: string; createdAt: number }[] };

export interface CustomerDrift {
  customerId: string;
  email: string | null;
  contactId: string | null;
  problems: DriftProblem[];
}

export interface DriftReport {
  installId: string;
  checkedAt: string;
  customersChecked: number;
  contactsListed: number;
  /** Per kind of problem, how many customers have it. */
  totals: Record<DriftProblem['kind'], number>;
  drifted: CustomerDrift[];
  /** Recorded events the mapping cannot turn into data events (already recorded as customer failures). */
  unmappableEvents: string[];
  /** With --fix: how many customers were handed back to the sync workflow. */
  fixed: number | null;
}

export interface ReconcileDeps {
  pool: Pool;
  config: Config;
  secrets: SecretBox;
  workflows: InstallWorkflows;
  /**
   * Stripe budgets per account, shared by every reconcile of this process (the API's drift jobs share one); a
   * reconcile without one paces its own reads alone.
   */
  stripePacers?: StripePacers;
}

/** Where a reconcile is, for a drift job's progress. */
export interface ReconcileProgress {
  phase: 'reading_stripe' | 'reading_intercom' | 'comparing' | 'fixing';
  stripeReads: number;
  customersListed: number;
  contactsListed: number;
}

/** A customer with the contact it shows on (by link, else by email). */
interface Resolved {
  state: StripeCustomerState;
  email: string | null;
  contactId: string | null;
  drift: CustomerDrift;
}

/**
 * Compares an install's Stripe customers, read from Stripe, with its Intercom contacts and data events: missing
 * contacts, duplicates, attributes that differ from what the current Stripe state implies, data events missing for
 * recorded Stripe events. With `fix`, hands the drifted customers back to the sync workflow (a re-read from Stripe,
 * their missing events sent again).
 */
export async function reconcileInstall(
  deps: ReconcileDeps,
  installId: string,
  options: { fix: boolean; onProgress?: (progress: ReconcileProgress) => void },
): Promise<DriftReport> {
  const install = await findInstall(deps.pool, installId);
  if (!install) throw new Error(`no install with id ${installId}`);
  const { stripeApiKeySealed, intercomTokenSealed } = install;
  // A disabled install's credentials are wiped: there is nothing to read, and nothing is written for it any more.
  if (!stripeApiKeySealed || !intercomTokenSealed)
    throw new Error(`install ${installId} has no credentials (disabled)`);
  // The install's Stripe client as the sync's activities get it: its key (or its OAuth grant's fresh access token),
  // paced by its account's pacer.
  const contexts = new InstallContexts(deps);
  const { stripe } = await contexts.load(install.id);
  const intercom = createIntercomClient(deps.secrets.open(intercomTokenSealed), install.intercomRegion, deps.config);
  const progress: ReconcileProgress = {
    phase: 'reading_stripe',
    stripeReads: 0,
    customersListed: 0,
    contactsListed: 0,
  };
  const report = (change: Partial<ReconcileProgress>) => options.onProgress?.(Object.assign(progress, change));
  const reader = new StripeStateReader(stripe, ({ reads, customersListed }) =>
    report({ stripeReads: reads, customersListed }),
  );
  const now = Math.floor(Date.now() / 1000);

  const [links, ours] = await Promise.all([
    allLinks(deps.pool, install.id),
    contactsCreatedByUs(deps.pool, install.id),
  ]);
  const [{ customers: states, catalog }, contacts] = await Promise.all([
    reader.read(links.keys()),
    listContacts(intercom),
  ]);
  report({ phase: 'comparing', contactsListed: contacts.length });

  const contactsById = new Map(contacts.map((contact) => [contact.id, contact]));
  const usersByEmail = new Map<string, ListedContact[]>();
  for (const contact of contacts) {
    const email = contact.role === 'user' ? normalizeEmail(contact.email) : null;
    if (email) usersByEmail.set(email, [...(usersByEmail.get(email) ?? []), contact]);
  }

  const resolved = states.flatMap((state) => resolve(state, links, usersByEmail, contactsById));
  compareAttributes(install, catalog, resolved, contactsById, ours, now);
  report({ phase: 'reading_intercom' });
  const unmappableEvents = await compareEvents(deps.pool, install, intercom, catalog, resolved);

  const drifted = resolved.map((entry) => entry.drift).filter((drift) => drift.problems.length > 0);
  const totals: DriftReport['totals'] = {
    missing_contact: 0,
    duplicate_contacts: 0,
    attributes_differ: 0,
    identity_differs: 0,
    events_missing: 0,
    unexpected_events: 0,
  };
  for (const drift of drifted) for (const problem of drift.problems) totals[problem.kind] += 1;
  if (options.fix) report({ phase: 'fixing' });
  const fixed = options.fix ? await fixDrift(deps, install.id, drifted) : null;
  return {
    installId: install.id,
    checkedAt: new Date().toISOString(),
    customersChecked: resolved.length,
    contactsListed: contacts.length,
    totals,
    drifted,
    unmappableEvents,
    fixed,
  };
}

/** The contact a customer shows on; customers the sync leaves alone (no email, never linked) are not checked. */
function resolve(
  state: StripeCustomerState,
  links: Map<string, string>,
  usersByEmail: Map<string, ListedContact[]>,
  contactsById: Map<string, ListedContact>,
): Resolved[] {
  const { customer } = state;
  const linked = links.get(state.customerId) ?? null;
  const email = customer && !customer.deleted ? normalizeEmail(customer.email) : null;
  if (!customer || (!linked && !email)) return [];
  const drift: CustomerDrift = { customerId: state.customerId, email, contactId: linked, problems: [] };
  const sameEmail = email ? (usersByEmail.get(email) ?? []) : [];
  if (sameEmail.length > 1) {
    drift.problems.push({ kind: 'duplicate_contacts', contactIds: sameEmail.map((contact) => contact.id).sort() });
  }
  // Several users for one email: the sync links the oldest one (intercom-gateway findUsers).
  const byEmail = [...sameEmail].sort((a, b) => a.created_at - b.created_at || a.id.localeCompare(b.id))[0];
  drift.contactId = linked ?? byEmail?.id ?? null;
  if (!drift.contactId || !contactsById.has(drift.contactId)) drift.problems.push({ kind: 'missing_contact' });
  return [{ state, email, contactId: drift.contactId, drift }];
}

/** Every contact's custom attributes against those of the customer it shows, computed from Stripe now. */
function compareAttributes(
  install: Install,
  catalog: Catalog,
  resolved: Resolved[],
  contactsById: Map<string, ListedContact>,
  ours: Set<string>,
  now: number,
): void {
  for (const [contactId, members] of groupBy(resolved, (entry) => entry.contactId)) {
    const contact = contactId ? contactsById.get(contactId) : undefined;
    if (!contact) continue;
    const customers = members.flatMap((member) => (member.state.customer ? [member.state] : []));
    const live = customers.filter((member) => !member.customer?.deleted);
    const shown =
      pickContactCustomer(
        live.map((member) => ({
          customer: member.customer as Stripe.Customer,
          subscriptions: member.subscriptions,
          member,
        })),
        { catalog, now },
      )?.member ?? customers[0];
    if (!shown?.customer) continue;
    const expected = installCustomerAttributes(install, { ...shown, customer: shown.customer }, catalog, now);
    const actual = contact.custom_attributes ?? {};
    const differing = Object.entries(expected)
      .filter(([name, value]) => !sameValue(value, actual[name]))
      .map(([name, value]) => ({ name, expected: value, actual: actual[name] ?? null }));
    const owner = members.find((member) => member.state === shown);
    if (differing.length > 0) owner?.drift.problems.push({ kind: 'attributes_differ', attributes: differing });
    if (ours.has(contact.id) && !shown.customer.deleted) {
      const fields = [
        { name: 'email', expected: shown.customer.email?.trim() ?? null, actual: contact.email },
        { name: 'name', expected: shown.customer.name ?? null, actual: contact.name },
      ].filter((field) => field.expected !== null && field.expected !== field.actual);
      if (fields.length > 0) owner?.drift.problems.push({ kind: 'identity_differs', fields });
    }
  }
}

/**
 * Each recorded Stripe event that implies a data event (mapping's dataEventFor) must show on its customer's
 * contact, once; a data event of ours that no recorded Stripe event explains (sent twice under another timestamp)
 * is unexpected.
 */
async function compareEvents(
  pool: Pool,
  install: Install,
  intercom: IntercomClient,
  catalog: Catalog,
  resolved: Resolved[],
): Promise<string[]> {
  const since = new Date(Date.now() - EVENTS_LISTABLE_DAYS * 24 * 60 * 60 * 1000);
  const recorded = await recordedEventsOfTypes(pool, install.id, [...DATA_EVENT_TYPES], since);
  const byCustomer = groupBy(recorded, (event) => event.customerId);
  const unmappable: string[] = [];
  for (const [contactId, members] of groupBy(resolved, (entry) => entry.contactId)) {
    const events = members.flatMap((member) => byCustomer.get(member.state.customerId) ?? []);
    if (!contactId || events.length === 0 || members.some((member) => hasProblem(member, 'missing_contact'))) continue;
    const listed = await listContactEvents(intercom, contactId);
    // A second event of one kind in the same second was sent at the next free second (db/intercom-event-times.ts).
    const sentAt = await reservedEventTimes(
      pool,
      install.id,
      events.map((event) => event.eventId),
    );
    const expectedKeys = new Set<string>();
    for (const event of events) {
      const key = expectedEventKey(event, catalog, sentAt.get(event.eventId), unmappable);
      if (!key) continue;
      expectedKeys.add(key);
      if (listed.has(key)) continue;
      const member = members.find((entry) => entry.state.customerId === event.customerId);
      const missing = member?.drift.problems.find((problem) => problem.kind === 'events_missing');
      if (missing) missing.eventIds.push(event.eventId);
      else member?.drift.problems.push({ kind: 'events_missing', eventIds: [event.eventId] });
    }
    const unexpected = [...listed.keys()]
      .filter((key) => key.startsWith(DEFAULT_EVENT_NAME_PREFIX) && !expectedKeys.has(key))
      .map((key) => ({ name: key.split('|')[0] as string, createdAt: Number(key.split('|')[1]) }));
    if (unexpected.length > 0) members[0]?.drift.problems.push({ kind: 'unexpected_events', events: unexpected });
  }
  return unmappable;
}

/**
 * `name|created_at` of the data event a recorded Stripe event implies, or null for one that implies none (or that
 * cannot be mapped: noted in `unmappable`).
 */
function expectedEventKey(
  event: RecordedEvent,
  catalog: Catalog,
  sentAt: number | undefined,
  unmappable: string[],
): string | null {
  try {
    const dataEvent = dataEventFor(event.payload, { catalog });
    return dataEvent && `${dataEvent.event_name}|${sentAt ?? dataEvent.created_at}`;
  } catch {
    unmappable.push(event.eventId);
    return null;
  }
}

/** Hands the drifted customers back to the sync workflow: re-read from Stripe, rewritten, missing events resent. */
async function fixDrift(deps: ReconcileDeps, installId: string, drifted: CustomerDrift[]): Promise<number> {
  const fixable = drifted.filter((drift) => drift.problems.some((problem) => problem.kind !== 'duplicate_contacts'));
  if (fixable.length === 0) return 0;
  const missingEvents = fixable.flatMap((drift) =>
    drift.problems.flatMap((problem) => (problem.kind === 'events_missing' ? problem.eventIds : [])),
  );
  await clearIntercomEventSent(deps.pool, installId, missingEvents);
  // The sync skips a contact whose attributes equal what it last wrote: these differ in Intercom, so write them again.
  const rewrite = fixable.filter((drift) =>
    drift.problems.some((problem) => problem.kind === 'attributes_differ' || problem.kind === 'identity_differs'),
  );
  await forgetWrittenAttributes(
    deps.pool,
    installId,
    rewrite.flatMap((drift) => (drift.contactId ? [drift.contactId] : [])),
  );
  const run = Date.now().toString(36);
  const refs: StripeEventRef[] = fixable.flatMap((drift) => [
    { eventId: `reconcile_${run}_${drift.customerId}`, customerId: drift.customerId, refresh: true },
    ...drift.problems.flatMap((problem) =>
      problem.kind === 'events_missing'
        ? problem.eventIds.map((eventId) => ({ eventId, customerId: drift.customerId, refresh: true, redeliver: true }))
        : [],
    ),
  ]);
  await deps.workflows.signalEvents(installId, refs);
  return fixable.length;
}

function hasProblem(entry: Resolved, kind: DriftProblem['kind']): boolean {
  return entry.drift.problems.some((problem) => problem.kind === kind);
}

/** Intercom keeps what it was sent: numbers compare to float precision, absent reads as null. */
function sameValue(expected: unknown, actual: unknown): boolean {
  const want = expected ?? null;
  const have = actual ?? null;
  if (typeof want === 'number' && typeof have === 'number') return Math.abs(want - have) < 1e-6;
  return want === have;
}

function groupBy<T, K>(items: T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}
