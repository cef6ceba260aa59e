// Live-sync measurement: Stripe event → Intercom latency at a steady event rate, and the webhook endpoint's response
// time as Stripe sees it. Prints one JSON line on stdout; makes no judgement (no thresholds).
//
//   npx tsx scripts/bench-live.ts [--rate 50] [--seconds 60] [--customers 300] [--burst-refresh] [--in-process]
//
// The service runs as `npm start` runs it, in a child process (API and worker; Temporal on TEMPORAL_ADDRESS or a dev
// server, PostgreSQL on TEST_DATABASE_URL / 127.0.0.1:5432 or embedded), with both emulators and the load in this
// process; `--in-process` runs it here instead, as the integration tests do, sharing one event loop with them.
// scripts/bench.ts (imports) can call runLiveBench().
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import type Stripe from 'stripe';
import { startTestStack, type TestStack } from '../test/support/stack';
import { runTeardowns } from '../test/support/teardown';
import { CustomerBook, Random, install, seedCustomers, waitForQuiet } from '../test/support/live-sync';
import { DEFAULT_EVENT_NAME_PREFIX, DATA_EVENT_NAME_SUFFIXES } from '../src/mapping';
import { countResponses, sum } from './lib/emulators';
import { percentiles, type Percentiles } from './lib/rates';
import type { DeliveryAttempt } from '../emulators/stripe';

export interface LiveBenchOptions {
  /** Stripe events per second (one charge each). */
  rate: number;
  seconds: number;
  /** Customers the charges go round; enough that none is charged twice within a second. */
  customers: number;
  /**
   * The burst also changes each customer's balance (`customer.updated`), so every burst customer must be re-read from
   * Stripe (3 reads) under the 429s: the cost of attribute changes, which charge events alone no longer show.
   */
  burstRefresh?: boolean;
  /** The service in this process, sharing its event loop with the emulators and the load (as tests run it). */
  inProcess?: boolean;
}

export interface LiveBenchResult {
  bench: 'live-sync';
  rate: number;
  seconds: number;
  customers: number;
  /** Where the service ran: its own process (as `npm start`), or this one beside the emulators. */
  service: 'process' | 'in-process';
  events: number;
  /** Events whose Intercom event never arrived (should be 0). */
  missing: number;
  /** Achieved rate of mutations (the schedule can slip on a loaded machine). */
  achievedRate: number;
  /** From the change in Stripe to the Intercom emulator storing the data event. */
  latencyMs: Percentiles;
  /**
   * That latency in two stages, so a slow one shows where it lives: from the change until the webhook delivery that
   * was acknowledged (Stripe's queue and our answer), then from that answer until the data event was in Intercom.
   */
  stagesMs: { acknowledged: Percentiles; acknowledgedToIntercom: Percentiles };
  /** The webhook endpoint's answer time for every delivery attempt, as the Stripe emulator measured it. */
  webhookResponseMs: Percentiles;
  /** Stripe API requests the service made during the steady load and its drain, by endpoint. */
  stripeCallsByEndpoint: Record<string, number>;
  /** Delivery attempts not answered 2xx (a 503 when Temporal did not accept the signal in time); Stripe retries. */
  webhookFailures: number;
  /** Those failures by HTTP status, or `timeout` when the endpoint did not answer within Stripe's delivery timeout. */
  webhookFailuresBy: Record<string, number>;
  /** From the end of the load until the last event was in Intercom. */
  drainMs: number;
  /** After the steady load: `burst.events` changes at once while Stripe answers some 429s. */
  burst: BurstResult;
  /** Every event reached Intercom (a correctness check, not a timing one). */
  ok: boolean;
}

export interface BurstResult {
  events: number;
  /** Stripe's per-second limit during the burst (below its real 100/s, so some reads are answered 429). */
  stripeLimitPerSecond: number;
  /** Every Stripe API request the service made from the burst until it was quiet, 429s included. */
  stripeCalls: number;
  stripe429: number;
  stripeCallsPerEvent: number;
  /** Stripe calls per burst customer (one charge, plus a balance change with `--burst-refresh`). */
  stripeCallsPerCustomer: number;
  missing: number;
  drainMs: number;
}

/** Events in the burst (issue 9: "a 200-event burst with Stripe 429s"), and Stripe's limit while it lasts. */
const BURST_EVENTS = 200;
const BURST_STRIPE_LIMIT_PER_SECOND = 20;

function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

const chargedEvent = `${DEFAULT_EVENT_NAME_PREFIX}${DATA_EVENT_NAME_SUFFIXES['charge.succeeded']}`;

export async function runLiveBench(options: LiveBenchOptions, stack?: TestStack): Promise<LiveBenchResult> {
  const own = stack === undefined;
  const bench =
    stack ??
    (await startTestStack({
      // Stripe delivers in parallel and at once here: the latency measured is ours, not the emulator's knobs.
      stripe: { seed: 1, webhook: { concurrency: 16, delayMs: [0, 0], duplicateProbability: 0 } },
      serviceProcess: !options.inProcess,
      // Intercom's real limits (10,000/min per app) stay on: the service must pace itself under them.
    }));
  try {
    return await measure(bench, options);
  } finally {
    if (own) await bench.close();
  }
}

async function measure(stack: TestStack, options: LiveBenchOptions): Promise<LiveBenchResult> {
  const { admin } = stack.stripe;
  const random = new Random(42);
  const book = new CustomerBook();
  seedCustomers(admin, random, book, {
    customers: options.customers,
    withoutEmail: 0,
    sharedPairs: 0,
    recasedPairs: 0,
  });
  const target = await install(stack);
  await waitForQuiet(stack, target.installId);
  const customerIds = book.live();
  const deliveriesBefore = admin.deliveries().length;
  const stripeCallsBefore = stack.stripe.requestCounts();

  // Each charge: one Stripe event (`charge.succeeded`), one Intercom data event on the customer's contact.
  const sent: Array<{ customerId: string; charge: Stripe.Charge; at: number }> = [];
  const total = Math.round(options.rate * options.seconds);
  const intervalMs = 1000 / options.rate;
  const started = performance.now();
  const startedAtMs = Date.now();
  for (let n = 0; n < total; n++) {
    const due = started + n * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const customerId = customerIds[n % customerIds.length] as string;
    const at = Date.now();
    const charge = admin.createCharge({ customer: customerId, amount: 100 + (n % 900), description: `bench ${n}` });
    sent.push({ customerId, charge, at });
  }
  const loadEndedAt = Date.now();
  const achievedRate = total / ((loadEndedAt - startedAtMs) / 1000);

  await waitForQuiet(stack, target.installId, { timeoutMs: 600_000 });
  const receivedAtFor = chargedEventsIn(stack, target.workspaceId);
  const attempts = admin.deliveries().slice(deliveriesBefore);
  const acknowledgedAtFor = acknowledgedDeliveries(stack, attempts);
  const latencies: number[] = [];
  const acknowledged: number[] = [];
  const acknowledgedToIntercom: number[] = [];
  let missing = 0;
  let lastReceived = loadEndedAt;
  for (const { customerId, charge, at } of sent) {
    const receivedAt = receivedAtFor(customerId, charge);
    if (receivedAt === undefined) {
      missing += 1;
      continue;
    }
    latencies.push(receivedAt - at);
    lastReceived = Math.max(lastReceived, receivedAt);
    const acknowledgedAt = acknowledgedAtFor(charge);
    if (acknowledgedAt === undefined) continue;
    acknowledged.push(acknowledgedAt - at);
    acknowledgedToIntercom.push(receivedAt - acknowledgedAt);
  }
  const stripeCallsByEndpoint = Object.fromEntries(
    Object.entries(stack.stripe.requestCounts()).map(([endpoint, count]) => [
      endpoint,
      count - (stripeCallsBefore[endpoint] ?? 0),
    ]),
  );
  const responses = attempts.map((delivery) => delivery.durationMs);
  const burst = await measureBurst(stack, target, customerIds, options.burstRefresh ?? false);
  return {
    bench: 'live-sync',
    rate: options.rate,
    seconds: options.seconds,
    customers: options.customers,
    service: options.inProcess ? 'in-process' : 'process',
    events: total,
    missing,
    achievedRate: Math.round(achievedRate * 10) / 10,
    latencyMs: percentiles(latencies),
    stagesMs: { acknowledged: percentiles(acknowledged), acknowledgedToIntercom: percentiles(acknowledgedToIntercom) },
    webhookResponseMs: percentiles(responses),
    stripeCallsByEndpoint,
    webhookFailures: attempts.filter((delivery) => delivery.outcome === 'failed').length,
    webhookFailuresBy: countBy(
      attempts.filter((delivery) => delivery.outcome === 'failed'),
      (delivery) => String(delivery.httpStatus ?? 'timeout'),
    ),
    drainMs: lastReceived - loadEndedAt,
    burst,
    ok: missing === 0 && burst.missing === 0,
  };
}

/** When the Intercom emulator stored each customer's `stripe-charged` event (a snapshot of the workspace now). */
function chargedEventsIn(stack: TestStack, workspaceId: string) {
  const workspace = stack.intercom.workspace(workspaceId);
  const contactOf = new Map(
    workspace.contacts.map((contact) => [String(contact.custom_attributes.STRIPE_id), contact.id] as const),
  );
  const received = new Map(
    workspace.events
      .filter((event) => event.event_name === chargedEvent)
      .map((event) => [`${event.contact_id}|${event.created_at}`, event.received_at_ms] as const),
  );
  return (customerId: string, charge: Stripe.Charge) => received.get(`${contactOf.get(customerId)}|${charge.created}`);
}

/** When the first 2xx delivery of each charge's `charge.succeeded` event finished. */
function acknowledgedDeliveries(stack: TestStack, attempts: DeliveryAttempt[]) {
  const eventOfCharge = new Map(
    stack.stripe.admin
      .state('live')
      .events.filter((event) => event.type === 'charge.succeeded')
      .map((event) => [(event.data.object as Stripe.Charge).id, event.id] as const),
  );
  const acknowledgedAt = new Map<string, number>();
  for (const attempt of attempts) {
    if (attempt.outcome !== 'succeeded' || acknowledgedAt.has(attempt.eventId)) continue;
    acknowledgedAt.set(attempt.eventId, attempt.at);
  }
  return (charge: Stripe.Charge) => acknowledgedAt.get(eventOfCharge.get(charge.id) ?? '');
}

/**
 * A burst: one charge on each of BURST_EVENTS customers at once while Stripe allows only
 * BURST_STRIPE_LIMIT_PER_SECOND requests (so the service's re-reads meet 429s), then the Stripe calls it cost.
 */
async function measureBurst(
  stack: TestStack,
  target: { installId: string; workspaceId: string },
  customerIds: string[],
  refresh: boolean,
): Promise<BurstResult> {
  const { admin } = stack.stripe;
  const callsBefore = sum(stack.stripe.requestCounts());
  stack.stripe.setFaults({ rateLimitPerSecond: { live: BURST_STRIPE_LIMIT_PER_SECOND } });
  const responses = countResponses([stack.stripe.port]);
  const customers = customerIds.slice(0, BURST_EVENTS);
  const startedAt = Date.now();
  const charges = customers.map((customerId, n) => ({
    customerId,
    charge: admin.createCharge({ customer: customerId, amount: 1_000 + n, description: `burst ${n}` }),
  }));
  if (refresh) customers.forEach((customerId, n) => admin.updateCustomer(customerId, { balance: (n % 50) * 100 }));
  const events = charges.length * (refresh ? 2 : 1);
  try {
    await waitForQuiet(stack, target.installId, { timeoutMs: 600_000 });
  } finally {
    // Back to Stripe's documented limits (https://docs.stripe.com/rate-limits), the emulator's defaults.
    stack.stripe.setFaults({ rateLimitPerSecond: { live: 100, test: 25 } });
    responses.stop();
  }
  const receivedAtFor = chargedEventsIn(stack, target.workspaceId);
  const arrivals = charges.map(({ customerId, charge }) => receivedAtFor(customerId, charge));
  const stripeCalls = sum(stack.stripe.requestCounts()) - callsBefore;
  return {
    events,
    stripeLimitPerSecond: BURST_STRIPE_LIMIT_PER_SECOND,
    stripeCalls,
    stripe429: responses.statuses(stack.stripe.port)[429] ?? 0,
    stripeCallsPerEvent: Math.round((stripeCalls / events) * 100) / 100,
    stripeCallsPerCustomer: Math.round((stripeCalls / charges.length) * 100) / 100,
    missing: arrivals.filter((at) => at === undefined).length,
    drainMs: Math.max(...arrivals.map((at) => at ?? startedAt)) - startedAt,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string' },
      seconds: { type: 'string' },
      customers: { type: 'string' },
      'burst-refresh': { type: 'boolean' },
      'in-process': { type: 'boolean' },
    },
    strict: true,
  });
  const options: LiveBenchOptions = {
    rate: Number(values.rate ?? 50),
    seconds: Number(values.seconds ?? 60),
    customers: Number(values.customers ?? 300),
  };
  const burstRefresh = values['burst-refresh'] ?? false;
  for (const [name, value] of Object.entries(options)) {
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  }
  // No charge may share a second with another for the same customer: Intercom would keep only one of the two events.
  if (options.customers < options.rate * 2) throw new Error('--customers must be at least twice --rate');
  process.stderr.write(
    `live-sync bench: ${options.rate} events/s for ${options.seconds} s over ${options.customers} customers\n`,
  );
  try {
    const result = await runLiveBench({ ...options, burstRefresh, inProcess: values['in-process'] ?? false });
    process.stdout.write(`${JSON.stringify(result)}\n`);
    if (!result.ok) process.exitCode = 1;
  } finally {
    await runTeardowns();
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(process.exitCode ?? 0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
