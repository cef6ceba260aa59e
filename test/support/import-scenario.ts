import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import type Stripe from 'stripe';
import { seedCustomers, type SeedOptions, type SeededCustomer, type StripeEmulator } from '../../emulators/stripe';
import type { ContactJson, IntercomEmulator } from '../../emulators/intercom';
import {
  customerAttributes,
  isOngoingSubscription,
  normalizeEmail,
  pickContactCustomer,
  type CustomAttributes,
} from '../../src/mapping';
import { eventually, type TestStack } from './stack';
import { stripeView, type CustomerView } from './stripe-view';
import { installStatusSchema, type InstallStatusAnswer } from '../../src/status/schema';

/**
 * The import scenario of the acceptance tests: a seeded Stripe account, an Intercom workspace that already holds
 * users (some of them Stripe customers under a differently-cased email), and expectations computed from the Stripe
 * emulator's own state — never from the service's Postgres mirror.
 */
export interface ImportScenario {
  seeded: SeededCustomer[];
  workspaceId: string;
  token: string;
  /** Users that existed in Intercom before the install, by contact id. */
  preexisting: Map<string, ContactJson>;
}

export const PREFIX = 'STRIPE_';

export function seedImportScenario(
  stack: Pick<TestStack, 'stripe' | 'intercom'>,
  options: Omit<SeedOptions, 'mode'> & { preexistingUsers: number },
): ImportScenario {
  const { preexistingUsers, ...seedOptions } = options;
  const seeded = seedCustomers(stack.stripe, seedOptions);
  const { workspaceId, token } = stack.intercom.createWorkspace();
  const emails = preexistingEmails(seeded, preexistingUsers);
  const preexisting = new Map<string, ContactJson>();
  emails.forEach((email, index) => {
    const contact = stack.intercom.createContact(workspaceId, { email, name: `Existing User ${index}` });
    preexisting.set(contact.id, contact);
  });
  return { seeded, workspaceId, token, preexisting };
}

/**
 * Mostly emails of live Stripe customers (every fifth with its letter case changed, and both sides of some shared
 * emails), plus a few of deleted customers and of people Stripe never heard of: those two kinds must stay untouched.
 */
function preexistingEmails(seeded: SeededCustomer[], count: number): string[] {
  const live = new Map<string, string>();
  const sizes = new Map<string, number>();
  for (const customer of seeded) {
    const key = normalizeEmail(customer.email);
    if (!key || customer.deleted) continue;
    if (!live.has(key)) live.set(key, customer.email as string);
    sizes.set(key, (sizes.get(key) ?? 0) + 1);
  }
  const deletedOnly = [
    ...new Set(
      seeded
        .filter((customer) => customer.deleted && customer.email)
        .map((customer) => normalizeEmail(customer.email) as string)
        .filter((key) => !live.has(key)),
    ),
  ];
  const unrelated = Math.max(5, Math.floor(count / 20));
  const fromDeleted = deletedOnly.slice(0, Math.min(deletedOnly.length, Math.floor(count / 20)));
  const wantedLive = count - unrelated - fromDeleted.length;
  const shared = [...sizes].filter(([, size]) => size > 1).map(([key]) => key);
  const keys = [...live.keys()];
  const chosen = new Set(shared.slice(0, Math.min(shared.length, Math.floor(wantedLive / 10))));
  for (let index = 0; chosen.size < wantedLive && index < keys.length * 2; index++) {
    chosen.add(keys[Math.floor((index * keys.length) / wantedLive) % keys.length] as string);
  }
  const emails = [...chosen].map((key, index) => {
    const email = live.get(key) as string;
    return index % 5 === 0 ? swapCase(email) : email;
  });
  emails.push(...fromDeleted);
  for (let index = 0; index < unrelated; index++) emails.push(`stranger.${index}@unrelated.test`);
  return emails;
}

function swapCase(text: string): string {
  return [...text].map((char) => (char === char.toLowerCase() ? char.toUpperCase() : char.toLowerCase())).join('');
}

/** What one Intercom contact must show: one entry per distinct (normalized) email among live Stripe customers. */
export interface ExpectedContact {
  emailKey: string;
  customerIds: string[];
  shown: Stripe.Customer;
  attributes: CustomAttributes;
}

export interface Expectations {
  contacts: Map<string, ExpectedContact>;
  liveCustomers: number;
  liveWithoutEmail: number;
  jpyCustomers: number;
  multiSubscriptionCustomers: number;
}

/**
 * Computes every contact's attributes from the emulator's current state: customers expanded the way the API would
 * expand them, the catalogue from its products, prices and coupons, and each customer's latest charge of all time.
 */
export function expectationsFromStripe(stripe: StripeEmulator, now = Math.floor(Date.now() / 1000)): Expectations {
  const state = stripe.admin.state('live');
  const view = stripeView(state);
  const catalog = view.catalog;
  const byEmail = new Map<string, CustomerView[]>();
  let liveWithoutEmail = 0;
  let jpyCustomers = 0;
  let multiSubscriptionCustomers = 0;
  for (const { id } of state.customers) {
    const customer = view.customer(id) as CustomerView;
    if (customer.customer.currency === 'jpy') jpyCustomers += 1;
    if (customer.subscriptions.filter(isOngoingSubscription).length > 1) multiSubscriptionCustomers += 1;
    const key = normalizeEmail(customer.customer.email);
    if (!key) {
      liveWithoutEmail += 1;
      continue;
    }
    byEmail.set(key, [...(byEmail.get(key) ?? []), customer]);
  }

  const contacts = new Map<string, ExpectedContact>();
  for (const [emailKey, customers] of byEmail) {
    const shown = pickContactCustomer(customers, { catalog, now }) as CustomerView;
    const attributes = customerAttributes({
      ...shown,
      catalog,
      prefix: PREFIX,
      metadataKeys: [],
      now,
    });
    contacts.set(emailKey, {
      emailKey,
      customerIds: customers.map(({ customer }) => customer.id),
      shown: shown.customer,
      attributes,
    });
  }
  return {
    contacts,
    liveCustomers: state.customers.length,
    liveWithoutEmail,
    jpyCustomers,
    multiSubscriptionCustomers,
  };
}

export interface ContactCheck {
  /** Contacts the service created (not in the workspace before). */
  created: number;
  /** Pre-existing users that now carry Stripe data. */
  matched: number;
}

/**
 * Asserts the workspace shows exactly the expectations: one user per expected email, none duplicated, pre-existing
 * users reused (their own id, name and email kept), the others untouched, and every contact's Stripe attributes equal
 * to the expected ones.
 */
export function assertContactsMatch(
  intercom: IntercomEmulator,
  scenario: ImportScenario,
  expected: Expectations,
): ContactCheck {
  const contacts = intercom.workspace(scenario.workspaceId).contacts.filter((contact) => contact.role === 'user');
  const byEmail = new Map<string, ContactJson[]>();
  for (const contact of contacts) {
    const key = normalizeEmail(contact.email) ?? `(no email) ${contact.id}`;
    byEmail.set(key, [...(byEmail.get(key) ?? []), contact]);
  }
  const duplicated = [...byEmail].filter(([, same]) => same.length > 1).map(([key, same]) => `${key} ×${same.length}`);
  assert.deepEqual(duplicated, [], 'no two Intercom users may share an email');

  const missing = [...expected.contacts.keys()].filter((key) => !byEmail.has(key));
  assert.deepEqual(missing.slice(0, 10), [], `${missing.length} Stripe emails have no Intercom user`);

  const mismatches: string[] = [];
  let created = 0;
  let matched = 0;
  for (const contact of contacts) {
    const key = normalizeEmail(contact.email) as string;
    const want = expected.contacts.get(key);
    const before = scenario.preexisting.get(contact.id);
    const stripeAttributes = Object.fromEntries(
      Object.entries(contact.custom_attributes).filter(([name]) => name.startsWith(PREFIX)),
    );
    if (!want) {
      // Only pre-existing users may have an email no live Stripe customer has, and the sync must leave them alone.
      assert.ok(before, `contact ${contact.id} (${contact.email}) matches no live Stripe customer`);
      assert.deepEqual(stripeAttributes, {}, `unrelated user ${contact.email} was written to`);
      continue;
    }
    if (before) {
      matched += 1;
      assert.equal(contact.email, before.email, `pre-existing user ${contact.id} keeps its email`);
      assert.equal(contact.name, before.name, `pre-existing user ${contact.id} keeps its name`);
    } else {
      created += 1;
      assert.equal(contact.email, want.shown.email?.trim(), `created user ${contact.id} has the customer's email`);
      assert.equal(contact.name, want.shown.name, `created user ${contact.id} has the customer's name`);
    }
    const names = new Set([...Object.keys(stripeAttributes), ...Object.keys(want.attributes)]);
    const differing = [...names].filter((name) => !isDeepStrictEqual(stripeAttributes[name], want.attributes[name]));
    if (differing.length > 0) {
      const detail = differing.map(
        (name) => `${name}: ${JSON.stringify(stripeAttributes[name])} ≠ ${JSON.stringify(want.attributes[name])}`,
      );
      mismatches.push(`${key} (${want.shown.id}, contact ${contact.id}) ${detail.join(', ')}`);
    }
  }
  assert.equal(
    mismatches.length,
    0,
    `${mismatches.length} contacts differ from the Stripe state (shown ≠ expected), e.g.:\n${mismatches.slice(0, 5).join('\n')}`,
  );
  assert.equal(created + matched, expected.contacts.size);
  return { created, matched };
}

export type InstallStatusBody = InstallStatusAnswer;

export async function installStatus(stack: Pick<TestStack, 'api'>, installId: string): Promise<InstallStatusBody> {
  const response = await stack.api(`/installs/${installId}`);
  const body: unknown = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  return installStatusSchema.parse(body);
}

/** Installs through the API, as a user would; returns the install id. */
export async function installThroughApi(stack: Pick<TestStack, 'api' | 'stripe'>, token: string): Promise<string> {
  const response = await stack.api('/installs', {
    body: { stripe: { apiKey: stack.stripe.keys.live }, intercom: { accessToken: token, region: 'us' } },
  });
  const body = (await response.json()) as { id: string; created: boolean };
  assert.equal(response.status, 202, JSON.stringify(body));
  assert.equal(body.created, true);
  return body.id;
}

/** Waits until the install is live and its latest import (or the given one) completed. */
export async function waitForImport(
  stack: Pick<TestStack, 'api'>,
  installId: string,
  options: { importId?: string; timeoutMs?: number } = {},
): Promise<InstallStatusBody> {
  const status = await eventually(
    async () => {
      const status = await installStatus(stack, installId);
      const done =
        status.state === 'live' &&
        status.import?.status === 'completed' &&
        (options.importId === undefined || status.import.id === options.importId);
      // A failed install ends the wait at once rather than at the timeout.
      return done || status.state === 'failed' ? status : undefined;
    },
    options.timeoutMs ?? 300_000,
    `import of ${installId} to complete`,
  );
  assert.equal(status.state, 'live', `install ${installId} failed: ${status.lastError}`);
  return status;
}
