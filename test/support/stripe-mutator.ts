// Random Stripe mutations for the live-sync tests, and the customer base they start from (the emulator's seeder).
import { setTimeout as sleep } from 'node:timers/promises';
import type Stripe from 'stripe';
import { seedCustomers as seedStripeCustomers, type StripeAdmin, type StripeState } from '../../emulators/stripe';
import type { Random } from '../../emulators/stripe/random';
import type { CustomerBook } from './customer-book';
import {
  addCard,
  addSubscription,
  brands,
  createCustomer,
  firstNames,
  freshEmail,
  lastNames,
  pricesFor,
  quantityFor,
} from './stripe-customer-factory';

export interface SeedOptions {
  customers: number;
  /** Customers created without an email (they never get a contact). */
  withoutEmail?: number;
  /** Pairs sharing one email exactly, and pairs whose emails differ in case. */
  sharedPairs?: number;
  recasedPairs?: number;
}

/**
 * Seeds a varied customer base without events (as if it predated the install) with the emulator's own seeder, and
 * enters it in the book. Defaults: 6% without email, 3% shared pairs, 2% recased pairs, none deleted (a deleted
 * customer never gets a contact, so the book leaves it out).
 */
export function seedCustomers(admin: StripeAdmin, random: Random, book: CustomerBook, options: SeedOptions): void {
  const customers = options.customers;
  const withoutEmail = Math.min(customers, options.withoutEmail ?? Math.round(customers * 0.06));
  // As many pairs as the customers with an email allow (a base of 2 has room for one).
  let room = Math.floor((customers - withoutEmail) / 2);
  const sharedPairs = Math.min(room, options.sharedPairs ?? Math.max(1, Math.round(customers * 0.03)));
  room -= sharedPairs;
  const recasedPairs = Math.min(room, options.recasedPairs ?? Math.max(1, Math.round(customers * 0.02)));
  const seeded = seedStripeCustomers(admin, {
    customers,
    seed: random.int(1, 2 ** 31 - 1),
    withoutEmail,
    sharedEmailPairs: sharedPairs,
    differentlyCasedPairs: recasedPairs,
    deleted: 0,
  });
  for (const customer of seeded) book.add(customer.id, customer.email);
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
