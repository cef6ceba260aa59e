import assert from 'node:assert/strict';
import { seedCustomers } from '../../emulators/stripe';
import { importWorkflowId, syncWorkflowId } from '../../src/shared/ids';
import { IMPORT_PRIORITY_KEY } from '../../src/shared/priorities';
import { DATA_EVENT_NAME_SUFFIXES, DEFAULT_EVENT_NAME_PREFIX } from '../../src/mapping';
import { localActivityType, patchMarkers, scheduledInput } from '../support/histories';
import { installThroughApi, waitForImport } from '../support/import-scenario';
import { chargeInIntercom, eventually, startTestStack, type TestStack } from '../support/stack';
import { client as stripeClient } from '../support/stripe-sdk';

const charged = `${DEFAULT_EVENT_NAME_PREFIX}${DATA_EVENT_NAME_SUFFIXES['charge.succeeded']}`;

describe('import: smoke', function () {
  this.timeout(300_000);
  let stack: TestStack;

  before(async () => {
    stack = await startTestStack();
  });
  after(() => stack?.close());

  it('imports seeded customers into Intercom', async () => {
    const seeded = seedCustomers(stack.stripe, { customers: 120, seed: 7 });
    const { workspaceId, token } = stack.intercom.createWorkspace();
    const response = await stack.api('/installs', {
      body: { stripe: { apiKey: stack.stripe.keys.live }, intercom: { accessToken: token, region: 'us' } },
    });
    const body = (await response.json()) as { id: string };
    assert.equal(response.status, 202, JSON.stringify(body));
    await eventually(
      async () => {
        const res = await stack.api(`/installs/${body.id}`);
        const json = (await res.json()) as { state: string };
        return json.state === 'live' ? json : undefined;
      },
      120_000,
      'install live',
    );
    const contacts = stack.intercom.workspace(workspaceId).contacts;
    const withEmail = new Set(seeded.filter((c) => c.email && !c.deleted).map((c) => c.email!.toLowerCase()));
    assert.equal(contacts.length, withEmail.size);
  });
});

describe('import: a small account', function () {
  this.timeout(300_000);
  let stack: TestStack;

  // A stack of its own: the emulator is one Stripe account, and this one must be small.
  before(async () => {
    stack = await startTestStack();
  });
  after(() => stack?.close());

  it("reads a small account's lists in one activity, writes them in one batch at the import's priority, a live change locally", async () => {
    const seeded = seedCustomers(stack.stripe, { customers: 25, seed: 8 });
    const { workspaceId, token } = stack.intercom.createWorkspace();
    const id = await installThroughApi(stack, token);
    await waitForImport(stack, id, { timeoutMs: 120_000 });

    const history = await stack.service.temporal.workflow.getHandle(importWorkflowId(id)).fetchHistory();
    const activities = (history.events ?? []).flatMap((event) => {
      const scheduled = event.activityTaskScheduledEventAttributes;
      return scheduled ? [scheduled.activityType?.name] : [];
    });
    // The customers list's first page too (its only one) is read with the billing lists'; the import finishes by a
    // local activity.
    assert.deepEqual(activities, ['importFirstPages']);
    assert.deepEqual(
      (history.events ?? []).flatMap((event) => localActivityType(event) ?? []),
      ['finishImport'],
    );
    // A new run records its patches as one bundle: one marker and one search-attribute upsert, not one per patch.
    const upserts = (events: typeof history.events) =>
      (events ?? []).filter((event) => event.upsertWorkflowSearchAttributesEventAttributes).length;
    assert.deepEqual(patchMarkers(history.events), ['import-patches-2026-12']);
    assert.equal(upserts(history.events), 1, "the bundle's TemporalChangeVersion");

    // Every subscription and charge of the account reached the mirror from those first pages.
    const stripe = stripeClient(stack.stripe);
    const subscriptions = await stripe.subscriptions.list({ status: 'all', limit: 100 });
    const charges = await stripe.charges.list({ limit: 100 });
    assert.equal(subscriptions.has_more || charges.has_more, false, 'the seed fits in one page of each list');
    const mirrored = await stack.service.pool.query<{ subscriptions: number; charges: number }>(
      `SELECT (SELECT count(*)::int FROM stripe_subscriptions WHERE install_id = $1) AS subscriptions,
              (SELECT count(*)::int FROM stripe_charges WHERE install_id = $1) AS charges`,
      [id],
    );
    assert.deepEqual(mirrored.rows[0], { subscriptions: subscriptions.data.length, charges: charges.data.length });
    assert.ok(subscriptions.data.length > 0 && charges.data.length > 0, 'the seed has subscriptions and charges');

    const withEmail = new Set(seeded.filter((c) => c.email && !c.deleted).map((c) => c.email!.toLowerCase()));
    assert.equal(stack.intercom.workspace(workspaceId).contacts.length, withEmail.size);

    // The imported customers were written at the import's priority, keeping the install's fairness key; a live
    // change (a webhook) to the install, idle once imported, by a local activity in the task that took its signal.
    const customer = seeded.find((c) => c.email && !c.deleted)!;
    stack.stripe.admin.createCharge({ customer: customer.id, amount: 4200, description: 'smoke' });
    const sync = await eventually(
      async () => {
        const events = (await stack.service.temporal.workflow.getHandle(syncWorkflowId(id)).fetchHistory()).events;
        const written = (events ?? []).some((event) => localActivityType(event) === 'syncCustomers');
        return written ? (events ?? []) : undefined;
      },
      60_000,
      'a local batch after the import',
    );
    const scheduled = sync.flatMap((event) => {
      const attributes = event.activityTaskScheduledEventAttributes;
      if (attributes?.activityType?.name !== 'syncCustomers') return [];
      const input = scheduledInput<{ items: Array<{ eventIds: string[] }> }>(attributes);
      return [
        {
          priorityKey: attributes.priority?.priorityKey ?? 0,
          fairnessKey: attributes.priority?.fairnessKey ?? '',
          live: input.items.some((item) => item.eventIds.length > 0),
          customers: input.items.length,
        },
      ];
    });
    assert.deepEqual(patchMarkers(sync), ['sync-patches-2026-12', 'sync-patches-2026-12-live-2']);
    // The whole page in one batch: a batch writes its contacts at once, so spreading them over batches buys nothing.
    assert.deepEqual(scheduled, [
      { priorityKey: IMPORT_PRIORITY_KEY, fairnessKey: id, live: false, customers: seeded.length },
    ]);
    const snapshot = stack.intercom.workspace(workspaceId);
    const contact = snapshot.contacts.find((found) => found.email?.toLowerCase() === customer.email!.toLowerCase());
    assert.ok(
      snapshot.events.some((event) => event.contact_id === contact?.id && event.event_name === charged),
      'the charge reached Intercom by the local batch',
    );

    // A change right after another (that one written already, LOCAL_LIVE_BATCH_QUIET_MS not over) is written by an
    // activity, which leaves the install's workflow task free for the next signal (a local batch would hold it).
    const inIntercom = (charge: { id: string }) => chargeInIntercom(stack, workspaceId, charge);
    const [first, second] = seeded.filter((c) => c.email && !c.deleted && c.id !== customer.id);
    const firstCharge = stack.stripe.admin.createCharge({ customer: first!.id, amount: 4300, description: 'quiet' });
    await eventually(inIntercom(firstCharge), 60_000, 'the first charge in Intercom');
    const secondCharge = stack.stripe.admin.createCharge({ customer: second!.id, amount: 4400, description: 'busy' });
    await eventually(inIntercom(secondCharge), 60_000, 'the second charge in Intercom');
    const afterBoth = await stack.service.temporal.workflow.getHandle(syncWorkflowId(id)).fetchHistory();
    const writtenByActivity = (afterBoth.events ?? []).some((event) => {
      const attributes = event.activityTaskScheduledEventAttributes;
      if (attributes?.activityType?.name !== 'syncCustomers') return false;
      const input = scheduledInput<{ items: Array<{ customerId: string; eventIds: string[] }> }>(attributes);
      return input.items.some((item) => item.customerId === second!.id && item.eventIds.length > 0);
    });
    assert.ok(writtenByActivity, 'the change right after another went to an activity');
  });
});
