// What the live-sync acceptance tests share: installing through the API, waiting for the sync to go quiet, a seeded
// customer base and random Stripe mutations, and the Intercom state the emulator's current Stripe state implies,
// computed with the mapping functions straight from the emulator (never from the service's Postgres mirror).
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultPayloadConverter } from '@temporalio/common';
import type Stripe from 'stripe';
import type { StripeAdmin, StripeState } from '../../emulators/stripe';
import type { ContactJson, EventRecord } from '../../emulators/intercom';
import { Random } from '../../emulators/stripe/random';
import {
  coupons as catalogCoupons,
  ensureCatalog,
  meteredPrice,
  prices as catalogPrices,
} from '../../emulators/stripe/seed-catalog';
import { encryptionKeyBytes } from '../../src/config';
import { createSecretBox } from '../../src/crypto/secret-box';
import { findInstall } from '../../src/db/installs';
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
  type EventMetadataValue,
} from '../../src/mapping';
import { syncWorkflowId } from '../../src/shared/ids';
import type { StripeEventRef } from '../../src/shared/messages';
import { eventually, type TestStack } from './stack';
import { stripeView } from './stripe-view';

export { Random };

export const PREFIX = 'STRIPE_';

// ---------------------------------------------------------------------------------------------------------------
// The install and waiting for it

export interface LiveInstall {
  installId: string;
  workspaceId: string;
}

/** Installs through `POST /installs` with the emulator's live key into a fresh Intercom workspace. */
export async function install(
  stack: TestStack,
  options: { waitLive?: boolean; workspace?: { workspaceId: string; token: string } } = {},
): Promise<LiveInstall> {
  const { workspaceId, token } = options.workspace ?? stack.intercom.createWorkspace();
  const response = await stack.api('/installs', {
    body: { stripe: { apiKey: stack.stripe.keys.live }, intercom: { accessToken: token, region: 'us' } },
  });
  const body = (await response.json()) as { id: string };
  assert.equal(response.status, 202, JSON.stringify(body));
  if (options.waitLive !== false) await waitForState(stack, body.id, 'live');
  return { installId: body.id, workspaceId };
}

export async function installState(stack: TestStack, installId: string): Promise<string> {
  const response = await stack.api(`/installs/${installId}`);
  // A status request the loaded API could not answer says nothing about the state: never read it as one.
  if (!response.ok) throw new Error(`GET /installs/${installId}: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { state: string }).state;
}

export async function waitForState(stack: TestStack, installId: string, state: string, timeoutMs = 240_000) {
  await eventually(
    async () => ((await installState(stack, installId)) === state ? true : undefined),
    timeoutMs,
    `install ${installId} ${state}`,
  );
}

/** Stripe events recorded but not yet processed (handed to the sync workflow, not written). */
export async function pendingEventCount(stack: TestStack, installId: string): Promise<number> {
  const result = await stack.db.pool.query<{ count: string }>(
    `SELECT count(*) FROM stripe_events WHERE install_id = $1 AND status = 'received'`,
    [installId],
  );
  return Number(result.rows[0]?.count ?? 0);
}

/**
 * Waits until Stripe has no delivery left to make (unless `deliveries: false`), and the sync workflow has nothing
 * queued or in flight and no recorded event waits for processing, three polls in a row (a signal may land between
 * two polls).
 */
export async function waitForQuiet(
  stack: TestStack,
  installId: string,
  options: { timeoutMs?: number; deliveries?: boolean } = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 240_000;
  // Paused deliveries never finish: then only the service's side is waited for.
  if (options.deliveries !== false) await stack.stripe.admin.waitForDeliveries({ timeoutMs });
  let quietPolls = 0;
  await eventually(
    async () => {
      const status = await stack.workflows.syncStatus(installId);
      const quiet =
        status !== null &&
        status.queueDepth === 0 &&
        status.inFlightCustomers === 0 &&
        (await pendingEventCount(stack, installId)) === 0;
      quietPolls = quiet ? quietPolls + 1 : 0;
      return quietPolls >= 3 ? true : undefined;
    },
    timeoutMs,
    'the sync workflow to drain',
  );
}

/** The endpoint secret Stripe signs this install's deliveries with, for deliveries a test makes by hand. */
export async function webhookSecretOf(stack: TestStack, installId: string): Promise<string> {
  const found = await findInstall(stack.db.pool, installId);
  assert.ok(found?.webhookSecretSealed, `install ${installId} has no webhook secret`);
  return createSecretBox(encryptionKeyBytes(stack.config)).open(found.webhookSecretSealed);
}

/** Every `stripeEvents` signal in the current run of the install's sync workflow, and that run's id. */
export async function syncSignals(
  stack: TestStack,
  installId: string,
): Promise<{ runId: string | undefined; signals: StripeEventRef[][] }> {
  const handle = stack.service.temporal.workflow.getHandle(syncWorkflowId(installId));
  const { runId } = await handle.describe();
  const history = await stack.service.temporal.workflow.getHandle(syncWorkflowId(installId), runId).fetchHistory();
  const signals = (history.events ?? []).flatMap((event) => {
    const signal = event.workflowExecutionSignaledEventAttributes;
    const payload = signal?.signalName === 'stripeEvents' ? signal.input?.payloads?.[0] : undefined;
    return payload ? [defaultPayloadConverter.fromPayload<StripeEventRef[]>(payload)] : [];
  });
  return { runId, signals };
}

// ---------------------------------------------------------------------------------------------------------------
// Which customers share a contact

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

const firstNames = ['Ada', 'Grace', 'Alan', 'Linus', 'Margaret', 'Ken', 'Barbara', 'Radia', 'Hedy', 'Yukihiro'];
const lastNames = ['Lovelace', 'Hopper', 'Turing', 'Hamilton', 'Liskov', 'Ritchie', 'Perlman', 'Knuth'];
const brands = ['visa', 'mastercard', 'amex', 'discover', 'jcb'] as const;
const currencies = ['usd', 'usd', 'usd', 'eur', 'jpy'] as const;
const day = 86_400;

/** An address no other customer of the book has had. */
function freshEmail(random: Random, book: CustomerBook, label: string): string {
  return `${label}.${book.nextEmailNumber()}.${random.token(5).toLowerCase()}@example.test`;
}

const recurringPrices = catalogPrices.map((price) => price.id);

export interface SeedOptions {
  customers: number;
  /** Customers created without an email (they never get a contact). */
  withoutEmail?: number;
  /** Pairs sharing one email exactly, and pairs differing in case and surrounding spaces. */
  sharedPairs?: number;
  recasedPairs?: number;
}

/**
 * Seeds a varied customer base without events (as if it predated the install): currencies, cards and sources,
 * subscriptions in every status with coupons, tiered and metered prices, recent one-off charges (some failed), and
 * customers without, with shared and with differently-cased emails.
 */
export function seedCustomers(admin: StripeAdmin, random: Random, book: CustomerBook, options: SeedOptions): void {
  ensureCatalog(admin, 'live', (id) => id, admin.now() - 1000 * day);
  const withoutEmail = options.withoutEmail ?? Math.round(options.customers * 0.06);
  const sharedPairs = options.sharedPairs ?? Math.max(1, Math.round(options.customers * 0.03));
  const recasedPairs = options.recasedPairs ?? Math.max(1, Math.round(options.customers * 0.02));
  const pairs = sharedPairs + recasedPairs;
  for (let index = 0; index < options.customers; index++) {
    let email: string | null = freshEmail(random, book, `seed${index}`);
    if (index < withoutEmail) email = null;
    // Pairs: the second customer of a pair takes the first one's address.
    const pairIndex = index - withoutEmail;
    if (pairIndex >= 0 && pairIndex < 2 * pairs && pairIndex % 2 === 1) {
      const original = book.emailOf(book.customerIds.at(-1) as string) as string;
      email = pairIndex < 2 * sharedPairs ? original : `  ${original.toUpperCase()} `;
    }
    const customer = createCustomer(admin, random, book, email, false);
    addCard(admin, random, customer.id, false);
    const subscriptions = random.weighted([
      [0, 25],
      [1, 55],
      [2, 20],
    ] as const);
    for (let n = 0; n < subscriptions; n++) addSubscription(admin, random, customer.id, false);
    if (random.chance(0.3)) {
      admin.createCharge({
        customer: customer.id,
        amount: random.int(5, 300) * 100,
        status: random.chance(0.35) ? 'failed' : 'succeeded',
        description: 'One-off purchase',
        emitEvents: false,
      });
    }
  }
}

function createCustomer(
  admin: StripeAdmin,
  random: Random,
  book: CustomerBook,
  email: string | null,
  emitEvents: boolean,
): Stripe.Customer {
  const customer = admin.createCustomer({
    email,
    name: `${random.pick(firstNames)} ${random.pick(lastNames)}`,
    currency: random.chance(0.8) ? random.pick(currencies) : null,
    balance: random.chance(0.15) ? random.int(-50, 50) * 100 : 0,
    created: admin.now() - random.int(1, 900) * day,
    emitEvents,
  });
  book.add(customer.id, email);
  return customer;
}

function addCard(admin: StripeAdmin, random: Random, customerId: string, emitEvents: boolean): void {
  const year = new Date(admin.now() * 1000).getUTCFullYear();
  const card = {
    customer: customerId,
    brand: random.pick(brands),
    expMonth: random.int(1, 12),
    expYear: random.int(year - 1, year + 4),
    setDefault: random.chance(0.85),
    emitEvents,
  };
  const kind = random.weighted([
    ['payment_method', 70],
    ['source', 12],
    ['none', 18],
  ] as const);
  if (kind === 'payment_method') admin.attachPaymentMethod(card);
  else if (kind === 'source') admin.addCardSource(card);
}

/** Prices a customer may subscribe to: its currency once it has one (Stripe fixes it with the first subscription). */
function pricesFor(admin: StripeAdmin, customerId: string, extra: string[] = []): string[] {
  const customer = admin.find(customerId) as Stripe.Customer;
  return [...recurringPrices, ...extra].filter((id) => {
    const price = admin.find(id) as Stripe.Price | undefined;
    return price && (customer.currency == null || price.currency === customer.currency);
  });
}

function quantityFor(random: Random, priceId: string): number {
  const known = catalogPrices.find((price) => price.id === priceId);
  return known ? random.int(...known.quantity) : random.int(1, 5);
}

function addSubscription(
  admin: StripeAdmin,
  random: Random,
  customerId: string,
  emitEvents: boolean,
  extraPrices: string[] = [],
): Stripe.Subscription {
  const priceId = random.pick(pricesFor(admin, customerId, extraPrices));
  const price = admin.find(priceId) as Stripe.Price;
  const status = random.weighted([
    ['active', 55],
    ['trialing', 12],
    ['past_due', 10],
    ['canceled', 8],
    ['unpaid', 5],
    ['paused', 5],
    ['incomplete', 5],
  ] as const);
  const items: Array<{ price: string; quantity?: number }> = [
    { price: priceId, quantity: quantityFor(random, priceId) },
  ];
  if (price.currency === 'usd' && price.recurring?.interval === 'month' && random.chance(0.15)) {
    items.push({ price: meteredPrice });
  }
  const coupons = catalogCoupons.filter((coupon) => coupon.currency === null || coupon.currency === price.currency);
  return admin.createSubscription({
    customer: customerId,
    items,
    status,
    trialDays: status === 'trialing' ? random.pick([7, 14, 30]) : undefined,
    coupon: random.chance(0.2) ? random.pick(coupons).id : undefined,
    cancelAtPeriodEnd: status === 'active' && random.chance(0.1),
    failedAttempts: status === 'past_due' ? random.int(1, 3) : undefined,
    emitEvents,
  });
}

export interface MutatorOptions {
  /** Customers the mutations may create (beyond the seeded ones). */
  newCustomers: number;
  /** Whether customers may be deleted. */
  deletes: boolean;
}

type MutationKind =
  | 'planChange'
  | 'quantityChange'
  | 'cancel'
  | 'cancelAtPeriodEnd'
  | 'statusChange'
  | 'newSubscription'
  | 'newCard'
  | 'newSource'
  | 'defaultPaymentMethod'
  | 'chargeSucceeded'
  | 'chargeFailed'
  | 'paymentRetry'
  | 'sameSecondRetry'
  | 'refund'
  | 'authorization'
  | 'capture'
  | 'emailChange'
  | 'delete'
  | 'invoice'
  | 'invoicePaymentFailed'
  | 'balance'
  | 'newCustomer'
  | 'newPlan';

const mutationWeights: ReadonlyArray<readonly [MutationKind, number]> = [
  ['planChange', 10],
  ['quantityChange', 4],
  ['cancel', 6],
  ['cancelAtPeriodEnd', 5],
  ['statusChange', 5],
  ['newSubscription', 9],
  ['newCard', 6],
  ['newSource', 2],
  ['defaultPaymentMethod', 4],
  ['chargeSucceeded', 7],
  ['chargeFailed', 6],
  ['paymentRetry', 2],
  ['sameSecondRetry', 3],
  ['refund', 6],
  ['authorization', 2],
  ['capture', 2],
  ['emailChange', 5],
  ['delete', 2],
  ['invoice', 6],
  ['invoicePaymentFailed', 5],
  ['balance', 4],
  ['newCustomer', 3],
  ['newPlan', 1],
];

/**
 * Random mutations of the account through the emulator admin, each emitting and delivering Stripe's events. One
 * mutation per emulator second (the clock is moved on), except a payment retry, whose two charges share a second.
 */
export class Mutator {
  readonly counts: Partial<Record<MutationKind, number>> = {};
  private newCustomersLeft: number;
  private readonly extraPrices: string[] = [];

  constructor(
    private readonly admin: StripeAdmin,
    private readonly random: Random,
    private readonly book: CustomerBook,
    private readonly options: MutatorOptions,
  ) {
    this.newCustomersLeft = options.newCustomers;
  }

  /** Applies one mutation (retrying the draw when it does not apply to the current state); returns what it did. */
  mutate(): string {
    for (;;) {
      const kind = this.random.weighted(mutationWeights);
      const done = this.apply(kind);
      if (done === null) continue;
      this.counts[kind] = (this.counts[kind] ?? 0) + 1;
      this.admin.advanceClock(1);
      return `${kind}: ${done}`;
    }
  }

  private state(): StripeState {
    return this.admin.state('live');
  }

  private liveCustomer(filter: (id: string) => boolean = () => true): string | null {
    const ids = this.book.live().filter(filter);
    return ids.length === 0 ? null : this.random.pick(ids);
  }

  private ongoingSubscription(): Stripe.Subscription | null {
    const live = new Set(this.book.live());
    const subscriptions = this.state().subscriptions.filter(
      (subscription) =>
        live.has(subscription.customer as string) &&
        subscription.status !== 'canceled' &&
        subscription.status !== 'incomplete_expired',
    );
    return subscriptions.length === 0 ? null : this.random.pick(subscriptions);
  }

  private apply(kind: MutationKind): string | null {
    const { admin, random } = this;
    switch (kind) {
      case 'planChange': {
        const subscription = this.ongoingSubscription();
        if (!subscription) return null;
        const customerId = subscription.customer as string;
        const current = subscription.items.data[0]?.price.id;
        const choices = pricesFor(admin, customerId, this.extraPrices).filter((id) => id !== current);
        if (choices.length === 0) return null;
        const price = random.pick(choices);
        admin.updateSubscription(subscription.id, { price, quantity: quantityFor(random, price) });
        return `${subscription.id} → ${price}`;
      }
      case 'quantityChange': {
        const subscription = this.ongoingSubscription();
        const item = subscription?.items.data[0];
        if (!subscription || !item || item.quantity === undefined) return null;
        admin.updateSubscription(subscription.id, { quantity: random.int(1, 30) });
        return subscription.id;
      }
      case 'cancel': {
        const subscription = this.ongoingSubscription();
        if (!subscription) return null;
        admin.cancelSubscription(subscription.id);
        return subscription.id;
      }
      case 'cancelAtPeriodEnd': {
        const subscription = this.ongoingSubscription();
        if (!subscription) return null;
        admin.updateSubscription(subscription.id, { cancelAtPeriodEnd: !subscription.cancel_at_period_end });
        return subscription.id;
      }
      case 'statusChange': {
        const subscription = this.ongoingSubscription();
        if (!subscription) return null;
        const status = random.pick(['active', 'past_due', 'unpaid', 'paused'] as const);
        if (status === subscription.status) return null;
        admin.updateSubscription(subscription.id, { status });
        return `${subscription.id} ${subscription.status} → ${status}`;
      }
      case 'newSubscription': {
        const customerId = this.liveCustomer();
        if (!customerId) return null;
        return addSubscription(admin, random, customerId, true, this.extraPrices).id;
      }
      case 'newCard':
      case 'newSource': {
        const customerId = this.liveCustomer();
        if (!customerId) return null;
        const year = new Date(admin.now() * 1000).getUTCFullYear();
        const card = {
          customer: customerId,
          brand: random.pick(brands),
          expMonth: random.int(1, 12),
          expYear: random.int(year, year + 5),
          setDefault: random.chance(0.8),
        };
        const created = kind === 'newCard' ? admin.attachPaymentMethod(card) : admin.addCardSource(card);
        return `${customerId} ${created.id}`;
      }
      case 'defaultPaymentMethod': {
        const live = new Set(this.book.live());
        const methods = this.state().paymentMethods.filter((method) => live.has(method.customer as string));
        if (methods.length === 0) return null;
        const method = random.pick(methods);
        const customerId = method.customer as string;
        const setTo = random.chance(0.2) ? null : method.id;
        admin.updateCustomer(customerId, { defaultPaymentMethod: setTo });
        return `${customerId} → ${setTo}`;
      }
      case 'chargeSucceeded':
      case 'chargeFailed': {
        const customerId = this.liveCustomer();
        if (!customerId) return null;
        const charge = admin.createCharge({
          customer: customerId,
          amount: random.int(1, 400) * 100,
          status: kind === 'chargeFailed' ? 'failed' : 'succeeded',
          failureCode: kind === 'chargeFailed' ? random.pick(['card_declined', 'insufficient_funds']) : undefined,
          description: 'Live purchase',
        });
        return `${customerId} ${charge.id}`;
      }
      case 'paymentRetry': {
        // A declined payment retried at once: two charges in one second, the successful one Stripe's latest.
        const customerId = this.liveCustomer();
        if (!customerId) return null;
        const amount = random.int(1, 100) * 100;
        admin.createCharge({ customer: customerId, amount, status: 'failed', description: 'Retried purchase' });
        admin.createCharge({ customer: customerId, amount, description: 'Retried purchase' });
        return customerId;
      }
      case 'sameSecondRetry': {
        // A declined payment retried successfully within the same second, after the service may already have read the
        // declined one: Stripe lists the retry first (same `created`, made later), so it is the latest charge.
        const live = new Set(this.book.live());
        const failed = this.state().charges.filter(
          (charge, index, all) =>
            charge.status === 'failed' &&
            live.has(charge.customer as string) &&
            all.findIndex((other) => other.customer === charge.customer) === index,
        );
        if (failed.length === 0) return null;
        const declined = random.pick(failed);
        const customerId = declined.customer as string;
        admin.createCharge({
          customer: customerId,
          amount: declined.amount,
          created: declined.created,
          description: 'Retried purchase',
        });
        return `${customerId} after ${declined.id}`;
      }
      case 'authorization': {
        // A hold (capture_method manual): succeeded, nothing taken until it is captured.
        const customerId = this.liveCustomer();
        if (!customerId) return null;
        const charge = admin.createCharge({
          customer: customerId,
          amount: random.int(1, 400) * 100,
          capture: false,
          description: 'Held purchase',
        });
        return `${customerId} ${charge.id}`;
      }
      case 'capture': {
        const held = this.state().charges.filter(
          (charge) => charge.status === 'succeeded' && !charge.captured && !charge.refunded,
        );
        if (held.length === 0) return null;
        const charge = random.pick(held);
        // Half of them partially: the rest of the authorization is released.
        const amount = random.chance(0.5) ? charge.amount : random.int(1, charge.amount);
        admin.captureCharge(charge.id, { amount });
        return `${charge.id} ${amount} of ${charge.amount}`;
      }
      case 'refund': {
        // What a captured charge took and has not given back: its amount less everything counted as refunded (the part
        // of an authorization a partial capture released is counted there too).
        const charges = this.state().charges.filter(
          (charge) => charge.status === 'succeeded' && charge.captured && charge.amount_refunded < charge.amount,
        );
        if (charges.length === 0) return null;
        const charge = random.pick(charges);
        const remaining = charge.amount - charge.amount_refunded;
        const amount = random.chance(0.5) || remaining < 2 ? remaining : random.int(1, remaining - 1);
        admin.refundCharge(charge.id, { amount });
        return `${charge.id} ${amount}`;
      }
      case 'emailChange': {
        const customerId = this.liveCustomer((id) => this.book.canChangeEmail(id));
        if (!customerId) return null;
        const email = freshEmail(random, this.book, 'changed');
        admin.updateCustomer(customerId, {
          email,
          ...(random.chance(0.5) && { name: `${random.pick(firstNames)} ${random.pick(lastNames)}` }),
        });
        this.book.changeEmail(customerId, email);
        return `${customerId} → ${email}`;
      }
      case 'delete': {
        if (!this.options.deletes) return null;
        const customerId = this.liveCustomer((id) => this.book.canDelete(id));
        if (!customerId || this.book.deleted.size >= Math.ceil(this.book.customerIds.length / 12)) return null;
        admin.deleteCustomer(customerId);
        this.book.deleted.add(customerId);
        return customerId;
      }
      case 'invoice': {
        const customerId = this.liveCustomer();
        if (!customerId) return null;
        const invoice = admin.createInvoice({
          customer: customerId,
          amountDue: random.int(1, 200) * 100,
          status: random.pick(['open', 'open', 'paid'] as const),
        });
        return `${customerId} ${invoice.id}`;
      }
      case 'invoicePaymentFailed': {
        const live = new Set(this.book.live());
        const invoices = this.state().invoices.filter(
          (invoice) => invoice.status === 'open' && live.has(invoice.customer as string),
        );
        if (invoices.length === 0) return null;
        const invoice = random.pick(invoices);
        admin.failInvoicePayment(invoice.id);
        return invoice.id;
      }
      case 'balance': {
        const customerId = this.liveCustomer();
        if (!customerId) return null;
        admin.updateCustomer(customerId, { balance: random.int(-100, 100) * 100, delinquent: random.chance(0.3) });
        return customerId;
      }
      case 'newCustomer': {
        if (this.newCustomersLeft <= 0) return null;
        this.newCustomersLeft -= 1;
        const shareable = this.book.shareableEmails();
        const roll = random.next();
        // Sharing an existing contact's email (differently written), a new address, or none at all.
        const email =
          roll < 0.3 && shareable.length > 0
            ? ` ${random.pick(shareable).toUpperCase()}`
            : roll < 0.85
              ? freshEmail(random, this.book, 'new')
              : null;
        const customer = createCustomer(admin, random, this.book, email, true);
        if (random.chance(0.7)) addCard(admin, random, customer.id, true);
        if (random.chance(0.7)) addSubscription(admin, random, customer.id, true, this.extraPrices);
        return `${customer.id} <${email}>`;
      }
      case 'newPlan': {
        const n = this.extraPrices.length + 1;
        const product = admin.createProduct({ name: `Live plan ${n}` });
        const price = admin.createPrice({
          product: product.id,
          currency: random.pick(['usd', 'eur'] as const),
          unitAmount: random.int(5, 90) * 100,
          interval: random.pick(['month', 'year'] as const),
          // Half without a nickname: the plan name then comes from the product, which the catalog must know.
          nickname: random.chance(0.5) ? `Live plan ${n} (nicknamed)` : null,
        });
        this.extraPrices.push(price.id);
        const customerId = this.liveCustomer((id) => pricesFor(admin, id, [price.id]).includes(price.id));
        if (customerId) {
          admin.createSubscription({ customer: customerId, items: [{ price: price.id, quantity: 1 }] });
        }
        return `${price.id} for ${customerId}`;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// What Intercom should hold, computed from the emulator's current state

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
): ExpectedDataEvent[] {
  const catalog = catalogOf(state);
  return state.events.flatMap((event) => {
    if (after.has(event.id) || !DATA_EVENT_TYPES.has(event.type)) return [];
    const customerId = customerIdOfEvent(event);
    const key = customerId ? book.contactKeyOf(customerId) : undefined;
    if (!key) return [];
    // customer.subscription.updated is a data event only when a plan changed or a cancellation was scheduled.
    const dataEvent = dataEventFor(event, { catalog });
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
): Promise<{ contacts: number; dataEvents: number; stripeEvents: number }> {
  try {
    const { contacts, dataEvents, stripeEvents } = compareWorkspace(stack, target, book, eventsBefore);
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
  options: { resendAllowed?: boolean } = {},
): { contacts: number; dataEvents: number; stripeEvents: number; resentEvents: number } {
  const state = stack.stripe.admin.state('live');
  const workspace = stack.intercom.workspace(target.workspaceId);
  const contacts = expectedContacts(book, state, Math.floor(Date.now() / 1000));
  const contactIds = assertContacts(workspace.contacts, contacts);
  const dataEvents = expectedDataEvents(book, state, contactIds, eventsBefore);
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

/** Runs `count` mutations, pausing a little between them so deliveries and writes interleave with them. */
export async function runMutations(
  mutator: Mutator,
  random: Random,
  count: number,
  options: { pauseMs?: [number, number]; until?: () => boolean } = {},
): Promise<string[]> {
  const [min, max] = options.pauseMs ?? [0, 20];
  const log: string[] = [];
  for (let n = 0; n < count && !(options.until?.() ?? false); n++) {
    log.push(mutator.mutate());
    await sleep(random.int(min, max));
  }
  return log;
}
