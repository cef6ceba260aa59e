/**
 * The benchmark's baselines: the same import without Temporal or PostgreSQL, run by scripts/bench.ts as a child
 * process (so its CPU and memory are its own), against the same emulators and seed as the service.
 *
 * - `naive`: one customer at a time, as a first script would: search its email, then create or update.
 * - `tuned`: what the service does minus durability: the official SDKs through the same clients, Stripe pacer,
 *   Intercom rate window and calls-in-flight limiter; customers in batches of SYNC_BATCH_SIZE, SYNC_MAX_CONCURRENT_BATCHES
 *   at once, one search per 15 emails, the next Stripe page read while this one is written.
 *
 * Both compute the same attributes with src/mapping. Input: one JSON argument; output: one JSON line on stdout.
 */
import type Stripe from 'stripe';
import { createIntercomClient } from '../../src/vendors/intercom';
import { createStripeClient, CUSTOMER_LIST_EXPANSIONS, SUBSCRIPTION_LIST_EXPANSIONS } from '../../src/vendors/stripe';
import { forEachLimit } from '../../src/activities/concurrency';
import { CONTACT_WRITES_IN_PARALLEL } from '../../src/activities/sync-customers';
import { IntercomGateway, type ContactFields } from '../../src/activities/intercom-gateway';
import { RateWindows } from '../../src/activities/rate-window';
import { StripePacers } from '../../src/vendors/stripe-pacer';
import {
  attributeDefinitions,
  catalogFromLists,
  chargeHistory,
  customerAttributes,
  normalizeEmail,
  type Catalog,
  type LatestChargeSummary,
} from '../../src/mapping';
import { IMPORT_PAGE_SIZE, SYNC_BATCH_SIZE, SYNC_MAX_CONCURRENT_BATCHES } from '../../src/workflows/constants';

export interface DirectLoopInput {
  mode: 'naive' | 'tuned';
  stripeApiBase: string;
  intercomApiBase: string;
  stripeKey: string;
  intercomToken: string;
  /** Stop after this many customers (the naive loop at realistic latency would take most of an hour). */
  maxCustomers: number;
}

export interface DirectLoopResult {
  mode: 'naive' | 'tuned';
  customers: number;
  written: number;
  seconds: number;
  /** Reading the catalogue and the charges before the first customer (the same whatever the customer count). */
  preludeSeconds: number;
  cpuSeconds: number;
  peakRssMb: number;
}

const PREFIX = 'STRIPE_';

async function run(input: DirectLoopInput): Promise<DirectLoopResult> {
  const started = performance.now();
  const stripe = createStripeClient(
    input.stripeKey,
    { STRIPE_API_BASE: input.stripeApiBase },
    new StripePacers().for('baseline', true),
  );
  const { window, inFlight } = new RateWindows().for('baseline');
  const intercom = new IntercomGateway(
    createIntercomClient(input.intercomToken, 'us', { INTERCOM_API_BASE: input.intercomApiBase }),
    window,
    undefined,
    undefined,
    input.mode === 'tuned' ? inFlight : undefined,
  );
  for (const attribute of attributeDefinitions(PREFIX, [])) {
    await intercom.createContactAttribute(attribute.name, attribute.type, attribute.description).catch(() => undefined);
  }
  // The same reads as the import (src/activities/import-page.ts): the catalogue with price tiers, every subscription
  // (`status=all`, canceled ones included) and every charge of the account, each listed once.
  const catalog = catalogFromLists(
    await listAll((after) => stripe.products.list({ limit: IMPORT_PAGE_SIZE, starting_after: after })),
    await listAll((after) =>
      stripe.prices.list({ limit: IMPORT_PAGE_SIZE, expand: ['data.tiers'], starting_after: after }),
    ),
    await listAll((after) => stripe.coupons.list({ limit: IMPORT_PAGE_SIZE, starting_after: after })),
  );
  const subscriptions = groupByCustomer(
    await listAll((after) =>
      stripe.subscriptions.list({
        limit: IMPORT_PAGE_SIZE,
        status: 'all',
        expand: SUBSCRIPTION_LIST_EXPANSIONS,
        starting_after: after,
      }),
    ),
  );
  const charges = groupByCustomer(
    await listAll((after) => stripe.charges.list({ limit: IMPORT_PAGE_SIZE, starting_after: after })),
  );
  const writer = new Writer(intercom, catalog, subscriptions, charges);
  const preludeSeconds = (performance.now() - started) / 1000;

  let customers = 0;
  let after: string | undefined;
  let next: Promise<Stripe.ApiList<Stripe.Customer>> | undefined = customerPage(stripe, after);
  while (next && customers < input.maxCustomers) {
    const page: Stripe.ApiList<Stripe.Customer> = await next;
    const data = page.data.slice(0, input.maxCustomers - customers);
    customers += data.length;
    after = page.data.at(-1)?.id;
    next = page.has_more && customers < input.maxCustomers ? customerPage(stripe, after) : undefined;
    if (input.mode === 'naive') {
      for (const customer of data) await writer.writeBatch([customer], 1);
    } else {
      const batches = chunk(data, SYNC_BATCH_SIZE);
      await forEachLimit(batches, SYNC_MAX_CONCURRENT_BATCHES, (batch) =>
        writer.writeBatch(batch, CONTACT_WRITES_IN_PARALLEL),
      );
    }
  }
  const cpu = process.cpuUsage();
  return {
    mode: input.mode,
    customers,
    written: writer.written,
    seconds: (performance.now() - started) / 1000,
    preludeSeconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

function customerPage(stripe: Stripe, after: string | undefined) {
  return stripe.customers.list({ limit: IMPORT_PAGE_SIZE, expand: CUSTOMER_LIST_EXPANSIONS, starting_after: after });
}

async function listAll<T extends { id: string }>(
  page: (after: string | undefined) => Promise<Stripe.ApiList<T>>,
): Promise<T[]> {
  const all: T[] = [];
  let after: string | undefined;
  for (;;) {
    const list = await page(after);
    all.push(...list.data);
    if (!list.has_more || list.data.length === 0) return all;
    after = list.data.at(-1)?.id;
  }
}

/** Stripe objects by the id of their customer (`customer` is an id, or an object when expanded). */
function groupByCustomer<T extends { customer: string | { id: string } | null }>(objects: T[]): Map<string, T[]> {
  const byCustomer = new Map<string, T[]>();
  for (const object of objects) {
    const customerId = typeof object.customer === 'string' ? object.customer : object.customer?.id;
    if (!customerId) continue;
    const list = byCustomer.get(customerId);
    if (list) list.push(object);
    else byCustomer.set(customerId, [object]);
  }
  return byCustomer;
}

function chunk<T>(items: T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, n) => items.slice(n * size, (n + 1) * size));
}

/** Searches a batch's emails, then creates or updates each contact; remembers contacts by email across batches. */
class Writer {
  written = 0;
  private readonly contactByEmail = new Map<string, string>();

  constructor(
    private readonly intercom: IntercomGateway,
    private readonly catalog: Catalog,
    private readonly subscriptions: Map<string, Stripe.Subscription[]>,
    private readonly charges: Map<string, Stripe.Charge[]>,
  ) {}

  async writeBatch(customers: Stripe.Customer[], writesInParallel: number): Promise<void> {
    const withEmail = customers.filter((customer) => normalizeEmail(customer.email));
    const unknown = [...new Set(withEmail.map((customer) => normalizeEmail(customer.email) as string))].filter(
      (email) => !this.contactByEmail.has(email),
    );
    if (unknown.length > 0) {
      for (const [email, contact] of await this.intercom.findContacts('email', unknown)) {
        this.contactByEmail.set(email, contact.id);
      }
    }
    const now = Math.floor(Date.now() / 1000);
    await forEachLimit(withEmail, writesInParallel, async (customer) => {
      const email = normalizeEmail(customer.email) as string;
      const fields: ContactFields = {
        custom_attributes: customerAttributes({
          customer,
          subscriptions: this.subscriptions.get(customer.id) ?? [],
          latestCharge: latestChargeOf(this.charges.get(customer.id) ?? []),
          charges: chargeHistory(this.charges.get(customer.id) ?? []),
          catalog: this.catalog,
          prefix: PREFIX,
          metadataKeys: [],
          now,
        }),
      };
      const contactId = this.contactByEmail.get(email);
      if (contactId) {
        await this.intercom.updateContact(contactId, fields);
      } else {
        const created = await this.intercom.createUser({
          ...fields,
          email: customer.email?.trim(),
          ...(customer.name && { name: customer.name }),
        });
        this.contactByEmail.set(email, created.id);
      }
      this.written += 1;
    });
  }
}

function latestChargeOf(charges: Stripe.Charge[]): LatestChargeSummary | null {
  const latest = charges.reduce<Stripe.Charge | null>(
    (best, c) => (!best || c.created > best.created ? c : best),
    null,
  );
  return latest && { status: latest.status, created: latest.created };
}

if (require.main === module) {
  run(JSON.parse(process.argv[2] ?? '{}') as DirectLoopInput).then(
    (result) => {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
