import assert from 'node:assert/strict';
import type Stripe from 'stripe';
import type { ContactJson, EventRecord, WorkspaceSnapshot } from '../../emulators/intercom';
import { reserveEventTime } from '../../src/db/intercom-event-times';
import { installStatus, type InstallStatusBody } from '../support/import-scenario';
import { install, waitForQuiet, waitForState, type LiveInstall } from '../support/live-sync';
import { startTestStack, type TestStack } from '../support/stack';
import { reconcile } from '../support/faults';

/**
 * Issue 7, Intercom side: what Intercom ends up holding for real-shaped workspaces (rows 11 and 12 of the issue's
 * table, plus Intercom's own rules), through the real import and webhook paths against the emulators. The emulator
 * enforces Intercom's documented rules, so a service that broke one of them fails here.
 */

/** What a row sees: the workspace after the import, after the webhooks, and the install's status at the end. */
interface Outcome {
  stack: TestStack;
  target: LiveInstall;
  imported: WorkspaceSnapshot;
  final: WorkspaceSnapshot;
  status: InstallStatusBody;
  customers: Map<string, Stripe.Customer>;
}

interface Row {
  name: string;
  /** Stripe customers (key → email) to create before the install, without events (they predate it). */
  customers?: Record<string, string>;
  /** Intercom contacts that predate the install. */
  contacts?: { role: 'user' | 'lead'; email: string; name?: string }[];
  /** After the import: Stripe changes whose webhooks the service receives. */
  webhook?(stack: TestStack, customers: Map<string, Stripe.Customer>): void;
  check(outcome: Outcome): void;
}

const byEmail = (snapshot: WorkspaceSnapshot, email: string): ContactJson[] =>
  snapshot.contacts.filter((contact) => contact.email?.toLowerCase() === email.toLowerCase());

const contactOf = (snapshot: WorkspaceSnapshot, customerId: string): ContactJson => {
  const found = snapshot.contacts.filter((contact) => contact.custom_attributes.STRIPE_id === customerId);
  assert.equal(found.length, 1, `one contact shows ${customerId}, found ${found.length}`);
  return found[0] as ContactJson;
};

const eventsOf = (snapshot: WorkspaceSnapshot, contactId: string, name: string): EventRecord[] =>
  snapshot.events.filter((event) => event.contact_id === contactId && event.event_name === name);

/** Set by the same-second row's webhook: the second both charges' events were created in. */
let sameSecond = 0;
const sameSecondCharges: string[] = [];

const rows: Row[] = [
  {
    name: 'row 11: a linked customer changes email to one another Intercom user has: attributes flow, email skipped, warning shown',
    customers: { row11: 'row11@example.com' },
    contacts: [{ role: 'user', email: 'holder@example.com', name: 'Holder' }],
    webhook(stack, customers) {
      const id = customers.get('row11')?.id as string;
      stack.stripe.admin.updateCustomer(id, { email: 'Holder@Example.com', balance: 4_200 });
    },
    check({ imported, final, status, customers }) {
      const id = customers.get('row11')?.id as string;
      const before = contactOf(imported, id);
      const after = contactOf(final, id);
      assert.equal(after.id, before.id, 'the customer keeps its link');
      assert.equal(after.email, 'row11@example.com', 'the email change is skipped');
      assert.equal(after.custom_attributes.STRIPE_account_balance, 42, 'attributes keep flowing');
      const holders = byEmail(final, 'holder@example.com');
      assert.deepEqual(
        holders.map((contact) => [contact.name, contact.custom_attributes.STRIPE_id ?? null]),
        [['Holder', null]],
        'the other user is untouched',
      );
      const warning = status.warnings.recent.find((candidate) => candidate.customerId === id);
      assert.deepEqual(warning && { code: warning.code, contactId: warning.contactId }, {
        code: 'email_taken',
        contactId: before.id,
      });
      assert.match(warning?.message ?? '', /holder@example\.com/i);
    },
  },
  {
    name: 'row 12 (import): an email only a lead holds: the lead becomes the user, linked; never two people',
    customers: { row12: 'row12@example.com' },
    contacts: [{ role: 'lead', email: 'Row12@Example.com', name: 'Lead twelve' }],
    check({ imported, final, customers }) {
      const id = customers.get('row12')?.id as string;
      for (const snapshot of [imported, final]) {
        const people = byEmail(snapshot, 'row12@example.com');
        assert.equal(people.length, 1, 'one person with the email');
        assert.deepEqual(
          [people[0]?.role, people[0]?.name, people[0]?.custom_attributes.STRIPE_id],
          ['user', 'Lead twelve', id],
        );
      }
    },
  },
  {
    name: 'row 12 (webhook): a customer created later whose email a lead holds converts that lead',
    contacts: [{ role: 'lead', email: 'later-lead@example.com', name: 'Later lead' }],
    webhook(stack, customers) {
      customers.set('row12-webhook', stack.stripe.admin.createCustomer({ email: 'later-lead@example.com' }));
    },
    check({ final, customers }) {
      const people = byEmail(final, 'later-lead@example.com');
      assert.equal(people.length, 1, 'one person with the email');
      assert.deepEqual(
        [people[0]?.role, people[0]?.name, people[0]?.custom_attributes.STRIPE_id],
        ['user', 'Later lead', customers.get('row12-webhook')?.id],
      );
    },
  },
  {
    name: 'search bodies use only shapes the 2.14 reference defines (the emulator refuses mixed groups)',
    check({ stack, target, status }) {
      // Every match above went through search; a mixed group would have been a 400 and these rows would fail too.
      assert.ok((stack.intercom.requestCounts(target.workspaceId)['POST /contacts/search'] ?? 0) > 0);
      assert.equal(status.sync.failed, 0);
    },
  },
  {
    name: 'two charge.succeeded for one customer in the same second both arrive',
    customers: { charged: 'charged@example.com' },
    webhook(stack, customers) {
      const customer = customers.get('charged') as Stripe.Customer;
      const admin = stack.stripe.admin;
      sameSecond = admin.now();
      for (const amount of [1_500, 2_500]) {
        const charge = admin.createCharge({ customer: customer.id, amount, emitEvents: false });
        sameSecondCharges.push(charge.id);
        admin.emitEvent({ type: 'charge.succeeded', object: charge as never, created: sameSecond });
      }
    },
    check({ final, customers }) {
      const contact = contactOf(final, customers.get('charged')?.id as string);
      const charged = eventsOf(final, contact.id, 'stripe-charged');
      assert.deepEqual(
        charged.map((event) => event.created_at).sort(),
        [sameSecond, sameSecond + 1],
        'the second one moved to the next free second',
      );
      for (const chargeId of sameSecondCharges) {
        assert.ok(
          charged.some((event) => JSON.stringify(event.metadata).includes(chargeId)),
          `an event for ${chargeId}`,
        );
      }
    },
  },
];

describe('real accounts, Intercom side (issue 7): rows and Intercom rules through import and webhooks', function () {
  this.timeout(400_000);
  let outcome: Outcome;

  before(async () => {
    const stack = await startTestStack();
    const { workspaceId, token } = stack.intercom.createWorkspace();
    const customers = new Map<string, Stripe.Customer>();
    for (const row of rows) {
      for (const [key, email] of Object.entries(row.customers ?? {})) {
        customers.set(key, stack.stripe.admin.createCustomer({ email, currency: 'usd', emitEvents: false }));
      }
      for (const contact of row.contacts ?? []) stack.intercom.createContact(workspaceId, contact);
    }
    const target = await install(stack, { workspace: { workspaceId, token } });
    await waitForQuiet(stack, target.installId);
    const imported = stack.intercom.workspace(workspaceId);
    for (const row of rows) row.webhook?.(stack, customers);
    await waitForQuiet(stack, target.installId);
    const status = await installStatus(stack, target.installId);
    outcome = { stack, target, imported, final: stack.intercom.workspace(workspaceId), status, customers };
  });
  after(() => outcome?.stack.close());

  for (const row of rows) it(row.name, () => row.check(outcome));

  it('never leaves two people with one email, and no customer failed', () => {
    const emails = outcome.final.contacts.flatMap((contact) => (contact.email ? [contact.email.toLowerCase()] : []));
    assert.equal(new Set(emails).size, emails.length, emails.join(', '));
    assert.equal(outcome.status.sync.failed, 0);
  });

  it('reconcile expects a same-second event at the second it was sent: no event missing or unexpected', async () => {
    const report = await reconcile(outcome.stack, outcome.target.installId);
    const charged = outcome.customers.get('charged')?.id;
    assert.ok(report.customersChecked > 0);
    assert.deepEqual(report.drifted.find((drift) => drift.customerId === charged)?.problems ?? [], []);
  });

  it('keeps the created_at chosen for an event, so a retried send repeats it and Intercom drops the repeat', async () => {
    const { pool } = outcome.stack.db;
    const { installId } = outcome.target;
    const event = (eventId: string) => ({ eventId, contactId: 'c1', eventName: 'stripe-charged', createdAt: 1_000 });
    assert.equal(await reserveEventTime(pool, installId, event('evt_a')), 1_000);
    assert.equal(await reserveEventTime(pool, installId, event('evt_b')), 1_001);
    assert.equal(await reserveEventTime(pool, installId, event('evt_a')), 1_000, 'a retry of evt_a');
    assert.equal(await reserveEventTime(pool, installId, event('evt_b')), 1_001, 'a retry of evt_b');
    assert.equal(await reserveEventTime(pool, installId, event('evt_c')), 1_002);
  });

  it('gives an event whose contact changed (deleted in Intercom, created again) the first second free on the new one', async () => {
    const { pool } = outcome.stack.db;
    const { installId } = outcome.target;
    const event = (eventId: string, contactId: string) => ({
      eventId,
      contactId,
      eventName: 'stripe-paid',
      createdAt: 5_000,
    });
    assert.equal(await reserveEventTime(pool, installId, event('evt_x', 'c_old')), 5_000);
    assert.equal(
      await reserveEventTime(pool, installId, event('evt_y', 'c_new')),
      5_000,
      'another event on the new one',
    );
    assert.equal(
      await reserveEventTime(pool, installId, event('evt_x', 'c_new')),
      5_001,
      'its old second was on c_old',
    );
    const rows = await pool.query(
      `SELECT contact_id, created_at FROM intercom_event_times WHERE install_id = $1 AND event_id = 'evt_x'`,
      [installId],
    );
    assert.deepEqual(rows.rows, [{ contact_id: 'c_new', created_at: '5001' }], 'one reservation, on the new contact');
    assert.equal(await reserveEventTime(pool, installId, event('evt_x', 'c_new')), 5_001, 'a retry keeps it');
  });
});

/** Attribute preparation Intercom would refuse: the install fails at once with lastError, and stops asking. */
const refusals: { name: string; seed(stack: TestStack, workspaceId: string): void; lastError: RegExp }[] = [
  {
    name: 'an archived attribute holds one of the names',
    seed: (stack, workspaceId) =>
      stack.intercom.createDataAttribute(workspaceId, { name: 'STRIPE_mrr', data_type: 'float', archived: true }),
    lastError: /STRIPE_mrr is taken by the archived attribute STRIPE_mrr/,
  },
  {
    name: 'a name differing only in letter case exists',
    seed: (stack, workspaceId) => stack.intercom.createDataAttribute(workspaceId, { name: 'stripe_currency' }),
    lastError: /STRIPE_currency clashes with stripe_currency/,
  },
  {
    name: 'the 250-attribute cap leaves too little room',
    seed: (stack, workspaceId) => {
      for (let index = 0; index < 245; index += 1) {
        stack.intercom.createDataAttribute(workspaceId, { name: `team_attribute_${index}` });
      }
    },
    lastError: /workspace has 245 of Intercom's 250 custom attributes/,
  },
];

describe('real accounts, Intercom side (issue 7): attribute preparation Intercom refuses fails the install', function () {
  this.timeout(300_000);
  let stack: TestStack;

  before(async () => {
    stack = await startTestStack();
    stack.stripe.admin.createCustomer({ email: 'someone@example.com', emitEvents: false });
  });
  after(() => stack?.close());

  for (const refusal of refusals) {
    it(`${refusal.name}: failed, with lastError, no contact written, not retried`, async () => {
      const { workspaceId, token } = stack.intercom.createWorkspace();
      refusal.seed(stack, workspaceId);
      const target = await install(stack, { waitLive: false, workspace: { workspaceId, token } });
      await waitForState(stack, target.installId, 'failed');
      const status = await installStatus(stack, target.installId);
      assert.match(status.lastError ?? '', refusal.lastError);
      // Give a retrying activity time to ask again before counting.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const counts = stack.intercom.requestCounts(workspaceId);
      assert.equal(counts['GET /data_attributes'], 1, 'asked once, never again');
      assert.equal(counts['POST /data_attributes'] ?? 0, 0, 'nothing created');
      assert.equal(counts['POST /contacts'] ?? 0, 0, 'no contact written');
      assert.equal(stack.intercom.workspace(workspaceId).contacts.length, 0);
    });
  }
});
