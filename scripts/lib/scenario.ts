import { seedCustomers } from '../../emulators/stripe';
import { Random } from '../../emulators/stripe/random';
import { sleep } from '../../src/infra/timing';
import { sum, type Emulators } from './emulators';
import { say } from './cli';
import { installStatusSchema, type InstallStatusAnswer } from '../../src/status/schema';

export interface ScenarioOptions {
  customers: number;
  /** Share of the customers with an email who are already Intercom users before the install. */
  preexistingShare: number;
  /** Share of the other emails held by an Intercom lead before the install: each lead becomes the user. Default 0. */
  leadShare?: number;
  seed: number;
}

export interface Scenario {
  customers: number;
  /** Customers that still exist in Stripe and have an email. */
  withEmail: number;
  /** Distinct (case-insensitive) emails among them: the Intercom users the import should end with. */
  uniqueEmails: number;
  /** Customers that still exist in Stripe and have no email: skipped and counted. */
  withoutEmail: number;
  /** Customers deleted in Stripe before the install (the import never sees them). */
  deleted: number;
  /** Intercom users that existed before the install; a third of them with differently-cased emails. */
  preexisting: number;
  /** Intercom leads holding a customer's email (and no user does) before the install. */
  leads: number;
  workspaceId: string;
  intercomToken: string;
  stripeKey: string;
}

/**
 * A fresh Stripe account seeded with `customers` realistic customers (the emulator's seed generator: several
 * subscriptions, trials, coupons, cards, customers without email, shared and differently-cased emails, deleted
 * customers) and a fresh Intercom workspace in which some of them are already users.
 */
export function seedScenario(emulators: Emulators, options: ScenarioOptions): Scenario {
  const { stripe, intercom } = emulators;
  const seeded = seedCustomers(stripe, { customers: options.customers, seed: options.seed });
  const live = seeded.filter((customer) => !customer.deleted);
  const emails = new Map<string, string>();
  for (const customer of live) {
    if (customer.email) emails.set(customer.email.trim().toLowerCase(), customer.email);
  }

  const { workspaceId, token } = intercom.createWorkspace({ name: 'Demo workspace' });
  // The emulators' own seedable generator (mulberry32): the same seed gives the same workspace as before.
  const rng = new Random(options.seed);
  const random = () => rng.next();
  const withEmail = live.filter((customer) => customer.email);
  const wanted = Math.round(withEmail.length * options.preexistingShare);
  const chosen = new Set<string>();
  for (const customer of shuffle(withEmail, random)) {
    if (chosen.size >= wanted) break;
    const key = customer.email!.trim().toLowerCase();
    if (chosen.has(key)) continue;
    chosen.add(key);
    // Intercom keeps the case a user signed up with; matching must not depend on it.
    const email = chosen.size % 3 === 0 ? recase(customer.email!) : customer.email!;
    intercom.createContact(workspaceId, { role: 'user', email, name: email.split('@')[0] });
  }
  // Leads: people who chatted before signing up. Design §4: the lead becomes the user, never a second person.
  const wantedLeads = Math.round((withEmail.length - chosen.size) * (options.leadShare ?? 0));
  const leadEmails = new Set<string>();
  for (const customer of shuffle(withEmail, random)) {
    if (leadEmails.size >= wantedLeads) break;
    const key = customer.email!.trim().toLowerCase();
    if (chosen.has(key) || leadEmails.has(key)) continue;
    leadEmails.add(key);
    const email = leadEmails.size % 2 === 0 ? recase(customer.email!) : customer.email!;
    intercom.createContact(workspaceId, { role: 'lead', email, name: `Lead ${email.split('@')[0]}` });
  }

  return {
    customers: options.customers,
    withEmail: withEmail.length,
    uniqueEmails: emails.size,
    withoutEmail: live.length - withEmail.length,
    deleted: seeded.length - live.length,
    preexisting: chosen.size,
    leads: leadEmails.size,
    workspaceId,
    intercomToken: token,
    stripeKey: stripe.keys.restricted,
  };
}

export interface Api {
  url: string;
  adminToken: string;
}

async function call<T>(api: Api, path: string, init: { method?: string; body?: unknown } = {}) {
  const response = await fetch(`${api.url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      authorization: `Bearer ${api.adminToken}`,
      ...(init.body !== undefined && { 'content-type': 'application/json' }),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

/**
 * Installs through the real API (POST /installs, as a user would with curl) and polls GET /installs/:id until the
 * install is `live` (import finished and every imported customer written), printing progress to stderr.
 */
export async function installAndWait(
  api: Api,
  scenario: Scenario,
  options: { timeoutMs: number; stop: Promise<void> },
): Promise<{ installId: string; status: InstallStatusAnswer; seconds: number; statusErrors: number }> {
  const started = performance.now();
  const created = await call<{ id: string }>(api, '/installs', {
    body: { stripe: { apiKey: scenario.stripeKey }, intercom: { accessToken: scenario.intercomToken, region: 'us' } },
  });
  say(`install ${created.id} created: importing ${scenario.customers} Stripe customers`);
  let stopped = false;
  void options.stop.then(() => (stopped = true));
  const deadline = Date.now() + options.timeoutMs;
  let lastSaid = 0;
  // A status request that fails (a 5xx while the service is overloaded) is counted and asked again.
  let statusErrors = 0;
  for (;;) {
    const status = await call<unknown>(api, `/installs/${created.id}`)
      .then((body) => installStatusSchema.parse(body))
      .catch((error: unknown) => {
        statusErrors += 1;
        say(`  GET /installs/${created.id} failed (${(error as Error).message}); asking again`);
        return undefined;
      });
    const seconds = (performance.now() - started) / 1000;
    if (status && status.state !== 'importing') return { installId: created.id, status, seconds, statusErrors };
    if (stopped) throw new Error('interrupted');
    if (Date.now() > deadline) throw new Error(`install still importing after ${options.timeoutMs / 1000} s`);
    if (status && seconds - lastSaid >= 5) {
      lastSaid = seconds;
      say(progressLine(status, seconds));
    }
    // Once a second: each status read queries both workflows, work the worker and Temporal would bill to the import.
    await sleep(1_000);
  }
}

function progressLine(status: InstallStatusAnswer, seconds: number): string {
  const progress = status.import;
  const total = progress?.estimatedTotal ? ` of ~${progress.estimatedTotal}` : '';
  return (
    `  ${Math.round(seconds)} s: ${progress?.phase ?? 'starting'}, ${progress?.customersSeen ?? 0}${total} customers read; ` +
    `Intercom: ${status.sync.created} created, ${status.sync.matched} matched, queue ${status.sync.queueDepth}`
  );
}

export interface ImportResult {
  customers: number;
  withEmail: number;
  contacts: number;
  matched: number;
  created: number;
  skippedNoEmail: number;
  duplicateContacts: number;
  failed: number;
  intercomCalls: number;
  stripeCalls: number;
  seconds: number;
  preexisting: number;
  leads: number;
  /** Leads still leads after the import: each should have become the user. */
  leadsLeft: number;
  uniqueEmails: number;
  deleted: number;
  intercom429: number;
  stripe429: number;
  /** GET /installs/:id requests that failed while waiting (the API should always answer). */
  statusErrors: number;
  intercomCallsByEndpoint: Record<string, number>;
  state: string;
  installId: string;
}

/** The outcome as the emulators saw it (contacts, calls) and as the service reports it (counts). */
export function importResult(
  emulators: Emulators,
  scenario: Scenario,
  run: { installId: string; status: InstallStatusAnswer; seconds: number; statusErrors: number },
): ImportResult {
  const contacts = emulators.intercom.workspace(scenario.workspaceId).contacts;
  const emails = new Set(contacts.flatMap((contact) => (contact.email ? [contact.email.trim().toLowerCase()] : [])));
  const withEmail = contacts.filter((contact) => contact.email).length;
  const intercomCallsByEndpoint = emulators.intercom.requestCounts(scenario.workspaceId);
  const statuses = emulators.statuses();
  return {
    customers: scenario.customers,
    withEmail: scenario.withEmail,
    contacts: contacts.length,
    matched: run.status.sync.matched,
    created: run.status.sync.created,
    skippedNoEmail: run.status.sync.skippedNoEmail,
    duplicateContacts: withEmail - emails.size,
    failed: run.status.sync.failed,
    intercomCalls: sum(intercomCallsByEndpoint),
    stripeCalls: sum(emulators.stripe.requestCounts()),
    seconds: round(run.seconds, 1),
    preexisting: scenario.preexisting,
    leads: scenario.leads,
    leadsLeft: contacts.filter((contact) => contact.role === 'lead').length,
    uniqueEmails: scenario.uniqueEmails,
    deleted: scenario.deleted,
    intercom429: statuses.intercom[429] ?? 0,
    stripe429: statuses.stripe[429] ?? 0,
    statusErrors: run.statusErrors,
    intercomCallsByEndpoint,
    state: run.status.state,
    installId: run.installId,
  };
}

/** What must hold after any import; an empty list means the run is correct. */
export function problems(result: ImportResult, scenario: Scenario): string[] {
  const found: string[] = [];
  if (result.state !== 'live') found.push(`the install ended ${result.state}, not live`);
  if (result.duplicateContacts > 0) found.push(`${result.duplicateContacts} duplicate Intercom contacts`);
  if (result.contacts !== scenario.uniqueEmails)
    found.push(`${result.contacts} Intercom contacts, expected one per distinct email: ${scenario.uniqueEmails}`);
  if (result.matched !== scenario.preexisting + scenario.leads)
    found.push(
      `${result.matched} matched, expected the ${scenario.preexisting} pre-existing users and ${scenario.leads} leads`,
    );
  if (result.leadsLeft > 0) found.push(`${result.leadsLeft} leads were not turned into the user`);
  if (result.created + result.matched !== result.contacts)
    found.push(`created ${result.created} + matched ${result.matched} is not the ${result.contacts} contacts`);
  if (result.skippedNoEmail !== scenario.withoutEmail)
    found.push(`${result.skippedNoEmail} skipped for no email, expected ${scenario.withoutEmail}`);
  if (result.failed > 0) found.push(`${result.failed} customers failed (GET /installs/${result.installId}/failures)`);
  return found;
}

export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

/** `Ada.Lovelace3@EXAMPLE.COM` for `ada.lovelace3@example.com`. */
function recase(email: string): string {
  const [local = '', domain = ''] = email.split('@');
  return `${local.charAt(0).toUpperCase()}${local.slice(1)}@${domain.toUpperCase()}`;
}
