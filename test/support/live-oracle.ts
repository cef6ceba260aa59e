// The Intercom state the emulator's current Stripe state implies, computed with the mapping functions straight from
// the emulator (never from the service's Postgres mirror), and the assertions comparing the workspace with it.
import { PREFIX, type LiveInstall } from './live-install';
import assert from 'node:assert/strict';
import type Stripe from 'stripe';
import type { StripeState } from '../../emulators/stripe';
import type { ContactJson, EventRecord } from '../../emulators/intercom';
import {
  DATA_EVENT_TYPES,
  catalogFromLists,
  customerAttributes,
  customerIdOfEvent,
  dataEventFor,
  normalizeEmail,
  pickContactCustomer,
  type Catalog,
  type CustomAttributes,
  type DataEvent,
  type EventMetadataValue,
} from '../../src/mapping';
import { type TestStack } from './stack';
import { stripeView } from './stripe-view';
import type { CustomerBook } from './customer-book';

/** The products, prices (with tiers) and coupons of the account. */
export function catalogOf(state: StripeState): Catalog {
  return catalogFromLists(state.products, state.prices, state.coupons);
}

export interface ExpectedContact {
  /** Normalized email the contact is found by. */
  key: string;
  /** Other emails it may still carry (see CustomerBook.contacts). */
  formerKeys: string[];
  customerIds: string[];
  /** The customer whose data the contact shows. */
  shownId: string;
  /** Email and name the contact must carry (contacts the service created, showing a live customer); else null. */
  identity: { email: string; name: string | null } | null;
  attributes: CustomAttributes;
}

export function expectedContacts(book: CustomerBook, state: StripeState, now: number): ExpectedContact[] {
  const view = stripeView(state);
  const catalog = view.catalog;
  return book.contacts().map(({ key, formerKeys, customerIds, preexisting }) => {
    const live = customerIds.flatMap((id) => view.customer(id) ?? []);
    const shownLive = pickContactCustomer(live, { catalog, now });
    const shown: Stripe.Customer | Stripe.DeletedCustomer = shownLive?.customer ?? {
      id: customerIds.find((id) => book.deleted.has(id)) as string,
      object: 'customer',
      deleted: true,
    };
    const attributes = customerAttributes({
      customer: shown,
      subscriptions: shownLive?.subscriptions,
      latestCharge: shownLive?.latestCharge,
      charges: shownLive?.charges,
      catalog,
      prefix: PREFIX,
      metadataKeys: [],
      now,
    });
    const identity =
      !preexisting && !shown.deleted && shown.email ? { email: shown.email.trim(), name: shown.name ?? null } : null;
    return { key, formerKeys, customerIds, shownId: shown.id, identity, attributes };
  });
}

/**
 * Asserts that the workspace holds exactly one user contact per expected contact, each with the expected attributes
 * (and email and name where the service owns them). Returns the contact id per key.
 */
export function assertContacts(
  contacts: ContactJson[],
  expected: ExpectedContact[],
  preexistingIds: ReadonlySet<string> = new Set(),
): Map<string, string> {
  const byKey = new Map<string, ContactJson[]>();
  for (const contact of contacts) {
    const key = normalizeEmail(contact.email) ?? `(no email) ${contact.id}`;
    byKey.set(key, [...(byKey.get(key) ?? []), contact]);
  }
  const problems: string[] = [];
  const ids = new Map<string, string>();
  for (const want of expected) {
    const keys = [want.key, ...want.formerKeys];
    const found = keys.flatMap((key) => byKey.get(key) ?? []);
    for (const key of keys) byKey.delete(key);
    if (found.length !== 1) {
      problems.push(`${want.key} (${want.customerIds.join(', ')}): ${found.length} contacts`);
      continue;
    }
    const contact = found[0] as ContactJson;
    ids.set(want.key, contact.id);
    for (const [name, value] of Object.entries(want.attributes)) {
      const actual = contact.custom_attributes[name];
      if (JSON.stringify(actual) !== JSON.stringify(value)) {
        problems.push(
          `${want.key} shows ${want.shownId}: ${name} is ${JSON.stringify(actual)}, want ${JSON.stringify(value)}`,
        );
      }
    }
    if (want.identity) {
      if (contact.email !== want.identity.email) {
        problems.push(
          `${want.key}: email ${JSON.stringify(contact.email)}, want ${JSON.stringify(want.identity.email)}`,
        );
      }
      if (want.identity.name !== null && contact.name !== want.identity.name) {
        problems.push(`${want.key}: name ${JSON.stringify(contact.name)}, want ${JSON.stringify(want.identity.name)}`);
      }
    }
  }
  for (const [key, extra] of byKey) {
    for (const contact of extra) {
      if (!preexistingIds.has(contact.id)) problems.push(`unexpected contact ${contact.id} <${key}>`);
    }
  }
  assert.deepEqual(problems, [], `${problems.length} contact mismatches`);
  return ids;
}

export interface ExpectedDataEvent {
  eventId: string;
  type: string;
  contactId: string;
  name: string;
  createdAt: number;
  metadata: Record<string, EventMetadataValue>;
}

/**
 * The Intercom data event each Stripe data event (§5) since `after` implies: on the contact of its customer, none
 * for customers without a contact.
 */
export function expectedDataEvents(
  book: CustomerBook,
  state: StripeState,
  contactIds: Map<string, string>,
  after: ReadonlySet<string>,
  mapDataEvent: DataEventMapping = dataEventFor,
): ExpectedDataEvent[] {
  const catalog = catalogOf(state);
  return state.events.flatMap((event) => {
    if (after.has(event.id) || !DATA_EVENT_TYPES.has(event.type)) return [];
    const customerId = customerIdOfEvent(event);
    const key = customerId ? book.contactKeyOf(customerId) : undefined;
    if (!key) return [];
    // customer.subscription.updated is a data event only when a plan changed or a cancellation was scheduled.
    const dataEvent = mapDataEvent(event, { catalog });
    if (!dataEvent) return [];
    const contactId = contactIds.get(key);
    assert.ok(contactId, `contact for ${key}`);
    return [
      {
        eventId: event.id,
        type: event.type,
        contactId,
        name: dataEvent.event_name,
        createdAt: dataEvent.created_at,
        metadata: dataEvent.metadata,
      },
    ];
  });
}

/**
 * The Intercom data event a Stripe event gives: the current mapping's, unless the event was handled by other code (an
 * older release's worker, test/faults/upgrade.fault.ts: an Intercom data event, once sent, is never changed).
 */
export type DataEventMapping = (event: Stripe.Event, options: { catalog: Catalog }) => DataEvent | null;

const eventKey = (contactId: string, name: string, createdAt: number) => `${contactId}|${name}|${createdAt}`;

/**
 * Exactly one Intercom event per Stripe data event: the stored events are the expected ones with the expected
 * metadata, and the service called `POST /events` once per Stripe event (a repeat would be dropped by Intercom but
 * still cost a call). Intercom keeps one event per contact, name and second, so an event of a kind the contact
 * already has in that second arrives at a later second: each stored event matches an expected one of its contact and
 * name, with the same metadata, created at that second or before.
 */
export function assertDataEvents(events: EventRecord[], expected: ExpectedDataEvent[], postEventsCalls: number): void {
  const open = new Map<string, ExpectedDataEvent[]>();
  for (const want of expected) {
    const kind = `${want.contactId}|${want.name}`;
    open.set(kind, [...(open.get(kind) ?? []), want]);
  }
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const event of [...events].sort((a, b) => a.created_at - b.created_at)) {
    const key = eventKey(event.contact_id, event.event_name, event.created_at);
    if (seen.has(key)) problems.push(`stored twice: ${key}`);
    seen.add(key);
    const candidates = open.get(`${event.contact_id}|${event.event_name}`) ?? [];
    const metadata = JSON.stringify(event.metadata);
    const index = candidates.findIndex(
      (want) => want.createdAt <= event.created_at && JSON.stringify(want.metadata) === metadata,
    );
    if (index < 0) {
      problems.push(`unexpected event ${key}: ${metadata}`);
      continue;
    }
    candidates.splice(index, 1);
  }
  for (const left of open.values()) {
    for (const want of left) {
      problems.push(`missing: ${eventKey(want.contactId, want.name, want.createdAt)} (${want.eventId})`);
    }
  }
  assert.deepEqual(problems, [], `${problems.length} data event mismatches`);
  assert.equal(postEventsCalls, expected.length, 'POST /events calls, one per Stripe data event');
}

/** Asserts the whole workspace against the emulator's current state; returns the counts for a summary line. */
export async function assertConverged(
  stack: TestStack,
  target: LiveInstall,
  book: CustomerBook,
  eventsBefore: ReadonlySet<string>,
  options: { mapDataEvent?: DataEventMapping } = {},
): Promise<{ contacts: number; dataEvents: number; stripeEvents: number }> {
  try {
    const { contacts, dataEvents, stripeEvents } = compareWorkspace(stack, target, book, eventsBefore, options);
    return { contacts, dataEvents, stripeEvents };
  } catch (err) {
    // What the service itself reports, to tell a rejected write from a lost one.
    const failures = await stack.db.pool.query(
      `SELECT customer_id, reason, attempts FROM customer_failures WHERE install_id = $1`,
      [target.installId],
    );
    const status = await stack.workflows.syncStatus(target.installId).catch(() => null);
    console.error(JSON.stringify({ customerFailures: failures.rows, lastError: status?.lastError ?? null }));
    // LIVE_SYNC_DEBUG=cus_a,cus_b: also the service's links, contacts and recorded events of those customers.
    const debugIds = process.env.LIVE_SYNC_DEBUG?.split(',');
    if (debugIds) {
      const query = (sql: string) => stack.db.pool.query(sql, [target.installId, debugIds]).then((r) => r.rows);
      const details = {
        links: await query(
          `SELECT l.customer_id, c.* FROM contact_links l JOIN intercom_contacts c USING (install_id, contact_id)
           WHERE l.install_id = $1 AND l.customer_id = ANY($2)`,
        ),
        events: await query(
          `SELECT event_id, type, customer_id, status, status_reason, received_at, processed_at
           FROM stripe_events WHERE install_id = $1 AND customer_id = ANY($2) ORDER BY created`,
        ),
      };
      console.error(JSON.stringify(details, null, 1));
    }
    throw err;
  }
}

/**
 * Compares the workspace with the emulator's current Stripe state. `resendAllowed`: after a crash a worker killed
 * between a data event's POST and its record sends it again, which Intercom drops (same user, name and second), so
 * only the stored events must match one to one, not the POST calls.
 */
export function compareWorkspace(
  stack: TestStack,
  target: LiveInstall,
  book: CustomerBook,
  eventsBefore: ReadonlySet<string>,
  options: { resendAllowed?: boolean; mapDataEvent?: DataEventMapping } = {},
): { contacts: number; dataEvents: number; stripeEvents: number; resentEvents: number } {
  const state = stack.stripe.admin.state('live');
  const workspace = stack.intercom.workspace(target.workspaceId);
  const contacts = expectedContacts(book, state, Math.floor(Date.now() / 1000));
  const contactIds = assertContacts(workspace.contacts, contacts);
  const dataEvents = expectedDataEvents(book, state, contactIds, eventsBefore, options.mapDataEvent);
  const calls = stack.intercom.requestCounts(target.workspaceId)['POST /events'] ?? 0;
  assertDataEvents(workspace.events, dataEvents, options.resendAllowed ? dataEvents.length : calls);
  const stripeEvents = state.events.filter((event) => !eventsBefore.has(event.id)).length;
  return {
    contacts: contacts.length,
    dataEvents: dataEvents.length,
    stripeEvents,
    resentEvents: calls - dataEvents.length,
  };
}

export function eventIds(stack: TestStack): Set<string> {
  return new Set(stack.stripe.admin.state('live').events.map((event) => event.id));
}
