import type Stripe from 'stripe';
import { type StripeAdmin } from './admin/admin';
import { Random } from './random';
import {
  type CatalogId,
  type Currency,
  coupons,
  deletedCoupon,
  ensureCatalog,
  meteredPrice,
  prices,
  seatAddOns,
} from './seed-catalog';
import { type Mode } from './types';

export interface SeedOptions {
  customers: number;
  mode?: Mode;
  /** Same seed, same customers (emails, plans, statuses, timestamps relative to the account). */
  seed?: number;
  /** Customers with no email. Default: 3% of `customers`. */
  withoutEmail?: number;
  /** Pairs of customers with the exact same email. Default: 1%. */
  sharedEmailPairs?: number;
  /** Pairs whose emails differ only in letter case. Default: 1%. */
  differentlyCasedPairs?: number;
  /** Customers deleted after creation. Default: 1%. */
  deleted?: number;
  /** Emit (and deliver) the events of every mutation; off by default so 10,000 customers take seconds. */
  emitEvents?: boolean;
  /**
   * Customers with a card hold (`capture: false`), half of them captured afterwards, some in part. Default 0; drawn
   * from a stream of their own, so the other customers are the same with or without them.
   */
  holds?: number;
}

export interface SeededCustomer {
  id: string;
  email: string | null;
  deleted: boolean;
}

const day = 86_400;

const firstNames = ['Ada', 'Grace', 'Alan', 'Linus', 'Margaret', 'Ken', 'Barbara', 'Radia', 'Hedy', 'Yukihiro'];
const lastNames = ['Lovelace', 'Hopper', 'Turing', 'Hamilton', 'Liskov', 'Ritchie', 'Perlman', 'van Rossum', 'Knuth'];
const domains = ['example.com', 'example.org', 'example.net', 'acme.test', 'globex.test'];
const cardBrands = ['visa', 'visa', 'visa', 'mastercard', 'mastercard', 'amex', 'discover', 'jcb'] as const;

/** Indices 0..n-1 in seeded random order. */
function shuffled(random: Random, n: number): number[] {
  const order = Array.from({ length: n }, (_, index) => index);
  for (let i = n - 1; i > 0; i--) {
    const j = random.int(0, i);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
}

/** Flips the case of some letters so the address differs only in case. */
function recase(email: string): string {
  const [local = '', domain = ''] = email.split('@');
  return `${local.charAt(0).toUpperCase()}${local.slice(1)}@${domain.toUpperCase()}`;
}

/**
 * Seeds a realistic customer base straight into the emulator: several subscriptions for some customers (one with
 * more than 10), weekly/monthly/quarterly/annual, per-seat, tiered and metered prices, multi-item plans (plan + seat
 * add-on), trials, past due, canceled (some customers only canceled ones), paused, scheduled cancellations
 * (`cancel_at`), coupons on subscriptions and on items, a coupon deleted after use, USD/EUR/JPY, cards (some expired,
 * some legacy sources, some only on the subscription as Stripe Checkout leaves them), SEPA debits beside a stale
 * legacy card, failed latest charges, partial refunds, customers without or with shared or differently-cased
 * emails, and deleted customers.
 */
export function seedCustomers(target: StripeAdmin | { admin: StripeAdmin }, options: SeedOptions): SeededCustomer[] {
  const admin = 'admin' in target ? target.admin : target;
  const mode = options.mode ?? 'live';
  const n = options.customers;
  const emitEvents = options.emitEvents ?? false;
  // Each mode draws its own customers (and ids) from the same seed.
  const random = new Random((options.seed ?? 1) + (mode === 'test' ? 0x9e3779b9 : 0));
  const catalogId: CatalogId = (id) => (mode === 'live' ? id : `${id}Test`);
  const share = (value: number | undefined, fraction: number): number => value ?? Math.round(n * fraction);
  const withoutEmail = share(options.withoutEmail, 0.03);
  const sharedPairs = share(options.sharedEmailPairs, 0.01);
  const casedPairs = share(options.differentlyCasedPairs, 0.01);
  const deleted = share(options.deleted, 0.01);
  if (withoutEmail + 2 * (sharedPairs + casedPairs) > n || deleted > n) {
    throw new Error('seedCustomers: more special customers requested than customers');
  }

  const now = admin.now();
  const accountCreated = admin.account().created ?? now - 5 * 365 * day;
  ensureCatalog(admin, mode, catalogId, accountCreated + day);

  // Roles are handed out over a shuffled order so they are spread over the creation timeline.
  const order = shuffled(random, n);
  const noEmail = new Set(order.slice(0, withoutEmail));
  const copies = new Map<number, { of: number; recased: boolean }>();
  let cursor = withoutEmail;
  for (let pair = 0; pair < sharedPairs + casedPairs; pair++, cursor += 2) {
    // The copy is the later-created customer of the pair, so the original's email exists when it is made.
    const [original, copy] = [order[cursor] as number, order[cursor + 1] as number].sort((a, b) => a - b);
    copies.set(copy as number, { of: original as number, recased: pair >= sharedPairs });
  }
  const toDelete = new Set(shuffled(random, n).slice(0, deleted));
  const holdRandom = new Random((options.seed ?? 1) + 0x401d);
  const holds = new Set(options.holds ? shuffled(holdRandom, n).slice(0, options.holds) : []);
  // One customer in a few hundred keeps more than the 10 subscriptions an expanded customer list shows.
  const manySubscriptions = new Set(order.slice(cursor, cursor + Math.floor(n / 300)));

  // Creation times ascend with the index, spread from the account's first day to an hour ago.
  const span = now - 3600 - (accountCreated + 2 * day);
  const times = Array.from({ length: n }, () => accountCreated + 2 * day + Math.floor(random.next() * span)).sort(
    (a, b) => a - b,
  );

  const emails: Array<string | null> = [];
  const seeded: SeededCustomer[] = [];
  for (let index = 0; index < n; index++) {
    const first = random.pick(firstNames);
    const last = random.pick(lastNames);
    const copy = copies.get(index);
    const original = copy === undefined ? undefined : emails[copy.of];
    let email: string | null = `${first}.${last.replace(/\W/g, '')}${index}@${random.pick(domains)}`.toLowerCase();
    if (noEmail.has(index)) email = null;
    else if (copy !== undefined && original) email = copy.recased ? recase(original) : original;
    emails[index] = email;
    const currency = random.weighted<Currency>([
      ['usd', 70],
      ['eur', 20],
      ['jpy', 10],
    ]);
    const created = times[index] as number;
    const customer = admin.createCustomer({
      mode,
      id: `cus_${random.token(14)}`,
      email,
      name: `${first} ${last}`,
      currency,
      balance: random.chance(0.1) ? random.int(-50, 50) * 100 : 0,
      metadata: random.chance(0.2) ? { plan_source: random.pick(['web', 'sales', 'partner']) } : {},
      created,
      emitEvents,
    });
    addPayment(admin, random, customer, now, emitEvents);
    addSubscriptions(admin, random, customer, currency, catalogId, now, emitEvents);
    if (manySubscriptions.has(index)) addManySubscriptions(admin, customer, currency, catalogId, now, emitEvents);
    addCharges(admin, random, customer, now, emitEvents);
    if (holds.has(index)) addHold(admin, holdRandom, customer, now, emitEvents);
    seeded.push({ id: customer.id, email, deleted: false });
  }
  for (const index of toDelete) {
    const customer = seeded[index] as SeededCustomer;
    admin.deleteCustomer(customer.id, { emitEvents });
    customer.deleted = true;
  }
  if (admin.find(catalogId(deletedCoupon.id))) admin.deleteCoupon(catalogId(deletedCoupon.id), { emitEvents });
  return seeded;
}

function addPayment(
  admin: StripeAdmin,
  random: Random,
  customer: Stripe.Customer,
  now: number,
  emitEvents: boolean,
): void {
  const kind = random.weighted([
    ['payment_method', 72],
    ['source', 10],
    ['sepa_beside_stale_card', 3],
    ['none', 15],
  ] as const);
  if (kind === 'none') return;
  if (kind === 'sepa_beside_stale_card') {
    // An old Visa stays the legacy default_source while SEPA Direct Debit is the invoice default that pays.
    const stale = new Date(now * 1000).getUTCFullYear() - random.int(3, 6);
    const old = { customer: customer.id, brand: 'visa' as const, expMonth: random.int(1, 12), expYear: stale };
    admin.addCardSource({ ...old, created: customer.created, emitEvents });
    admin.attachSepaDebit({ customer: customer.id, created: customer.created, emitEvents });
    return;
  }
  const year = new Date(now * 1000).getUTCFullYear();
  const card = {
    customer: customer.id,
    brand: random.pick(cardBrands),
    expMonth: random.int(1, 12),
    // A few are already expired.
    expYear: random.int(year - 1, year + 5),
    created: customer.created,
    emitEvents,
  };
  if (kind === 'payment_method') admin.attachPaymentMethod(card);
  else admin.addCardSource(card);
}

function addSubscriptions(
  admin: StripeAdmin,
  random: Random,
  customer: Stripe.Customer,
  currency: Currency,
  catalogId: CatalogId,
  now: number,
  emitEvents: boolean,
): void {
  const count = random.weighted([
    [0, 30],
    [1, 55],
    [2, 12],
    [3, 3],
  ]);
  const choices = prices.filter((price) => price.currency === currency).map((price) => [price, price.weight] as const);
  for (let i = 0; i < count; i++) {
    const price = random.weighted(choices);
    const status = random.weighted([
      ['active', 60],
      ['trialing', 10],
      ['past_due', 8],
      ['canceled', 12],
      ['paused', 3],
      ['unpaid', 3],
      ['incomplete', 2],
    ] as const);
    const latest = now - 60;
    // Trials are recent (they end in the future); everything else started any time after the customer.
    const earliest = status === 'trialing' ? Math.max(customer.created, now - 13 * day) : customer.created;
    const created = random.int(Math.min(earliest, latest), latest);
    const items: Array<{ price: string; quantity?: number; coupon?: string }> = [
      { price: catalogId(price.id), quantity: random.int(...price.quantity) },
    ];
    if (currency === 'usd' && price.interval === 'month' && random.chance(0.1))
      items.push({ price: catalogId(meteredPrice) });
    const seatAddOn = seatAddOns[currency];
    if (seatAddOn && price.interval === 'month' && price.quantity[1] === 1 && random.chance(0.1))
      items.push({ price: catalogId(seatAddOn), quantity: random.int(2, 12) });
    // A percent-off coupon on the plan item only (`items[].discounts`).
    if (random.chance(0.04)) (items[0] as { coupon?: string }).coupon = catalogId('SEED_50_3MONTHS');
    const couponChoices = coupons.filter((entry) => entry.currency === null || entry.currency === currency);
    const coupon = random.chance(0.12)
      ? catalogId(random.chance(0.25) ? deletedCoupon.id : random.pick(couponChoices).id)
      : undefined;
    const scheduledEnd = status === 'active' && random.chance(0.04);
    admin.createSubscription({
      customer: customer.id,
      items,
      status,
      created,
      trialDays: status === 'trialing' ? random.pick([7, 14, 30]) : undefined,
      coupon,
      cancelAt: scheduledEnd ? now + random.int(5, 60) * day : undefined,
      defaultPaymentMethod: random.chance(0.1) ? checkoutCard(admin, random, customer, now, emitEvents) : undefined,
      cancelAtPeriodEnd: status === 'active' && !scheduledEnd && random.chance(0.1),
      canceledAt: status === 'canceled' ? random.int(created, latest) : undefined,
      failedAttempts: status === 'past_due' ? random.int(1, 3) : undefined,
      metadata: {},
      emitEvents,
    });
  }
}

/** A card Stripe Checkout collected: attached to the customer but set only on the subscription. */
function checkoutCard(
  admin: StripeAdmin,
  random: Random,
  customer: Stripe.Customer,
  now: number,
  emitEvents: boolean,
): string {
  const year = new Date(now * 1000).getUTCFullYear();
  return admin.attachPaymentMethod({
    customer: customer.id,
    brand: random.pick(cardBrands),
    expMonth: random.int(1, 12),
    expYear: random.int(year + 1, year + 5),
    setDefault: false,
    created: customer.created,
    emitEvents,
  }).id;
}

/** Eleven active monthly subscriptions: one more than an expanded `customer.subscriptions` holds. */
function addManySubscriptions(
  admin: StripeAdmin,
  customer: Stripe.Customer,
  currency: Currency,
  catalogId: CatalogId,
  now: number,
  emitEvents: boolean,
): void {
  const monthly = prices.find((price) => price.currency === currency && price.interval === 'month');
  if (!monthly) return;
  for (let i = 0; i < 11; i++) {
    const created = Math.max(customer.created, now - 30 * day) + i;
    admin.createSubscription({ customer: customer.id, items: [{ price: catalogId(monthly.id) }], created, emitEvents });
  }
}

/**
 * A card hold (https://docs.stripe.com/payments/place-a-hold-on-a-payment-method): half are left uncaptured, the other
 * half captured, half of those in part (the rest of the hold released, https://docs.stripe.com/api/charges/capture).
 */
function addHold(admin: StripeAdmin, random: Random, customer: Stripe.Customer, now: number, emitEvents: boolean) {
  const amount = random.int(5, 500) * 100;
  const charge = admin.createCharge({
    customer: customer.id,
    amount,
    capture: false,
    description: 'Held purchase',
    created: random.int(Math.min(customer.created, now - 60), now - 60),
    emitEvents,
  });
  if (random.chance(0.5)) return;
  admin.captureCharge(charge.id, { amount: random.chance(0.5) ? amount : random.int(1, amount - 1), emitEvents });
}

/** One-off charges; for some customers the most recent one failed. */
function addCharges(
  admin: StripeAdmin,
  random: Random,
  customer: Stripe.Customer,
  now: number,
  emitEvents: boolean,
): void {
  if (!random.chance(0.15)) return;
  // $5–$500 in cents, or ¥500–¥50,000 in yen (zero-decimal).
  const amount = random.int(5, 500) * 100;
  const failed = random.chance(0.35);
  const charge = admin.createCharge({
    customer: customer.id,
    amount,
    status: failed ? 'failed' : 'succeeded',
    failureCode: failed
      ? random.pick(['card_declined', 'expired_card', 'insufficient_funds', 'incorrect_cvc'])
      : undefined,
    description: 'One-off purchase',
    created: random.int(Math.min(customer.created, now - 60), now - 60),
    emitEvents,
  });
  // Some are partly refunded, a few twice (each refund is its own charge.refunded).
  if (failed || !random.chance(0.3)) return;
  admin.refundCharge(charge.id, { amount: Math.floor(amount * 0.3), emitEvents });
  if (random.chance(0.3)) admin.refundCharge(charge.id, { amount: Math.floor(amount * 0.2), emitEvents });
}
