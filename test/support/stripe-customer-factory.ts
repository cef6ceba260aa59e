// The customers, cards and subscriptions the live-sync mutator adds, drawn like the emulator's seeder draws them.
import type Stripe from 'stripe';
import type { StripeAdmin } from '../../emulators/stripe';
import type { Random } from '../../emulators/stripe/random';
import { coupons as catalogCoupons, meteredPrice, prices as catalogPrices } from '../../emulators/stripe/seed-catalog';
import type { CustomerBook } from './customer-book';

export const firstNames = ['Ada', 'Grace', 'Alan', 'Linus', 'Margaret', 'Ken', 'Barbara', 'Radia', 'Hedy', 'Yukihiro'];
export const lastNames = ['Lovelace', 'Hopper', 'Turing', 'Hamilton', 'Liskov', 'Ritchie', 'Perlman', 'Knuth'];
export const brands = ['visa', 'mastercard', 'amex', 'discover', 'jcb'] as const;
const currencies = ['usd', 'usd', 'usd', 'eur', 'jpy'] as const;
const day = 86_400;

/** An address no other customer of the book has had. */
export function freshEmail(random: Random, book: CustomerBook, label: string): string {
  return `${label}.${book.nextEmailNumber()}.${random.token(5).toLowerCase()}@example.test`;
}

const recurringPrices = catalogPrices.map((price) => price.id);

export function createCustomer(
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

export function addCard(admin: StripeAdmin, random: Random, customerId: string, emitEvents: boolean): void {
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
export function pricesFor(admin: StripeAdmin, customerId: string, extra: string[] = []): string[] {
  const customer = admin.find(customerId) as Stripe.Customer;
  return [...recurringPrices, ...extra].filter((id) => {
    const price = admin.find(id) as Stripe.Price | undefined;
    return price && (customer.currency == null || price.currency === customer.currency);
  });
}

export function quantityFor(random: Random, priceId: string): number {
  const known = catalogPrices.find((price) => price.id === priceId);
  return known ? random.int(...known.quantity) : random.int(1, 5);
}

export function addSubscription(
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
