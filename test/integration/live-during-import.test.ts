import assert from 'node:assert/strict';
import { seedCustomers } from '../../emulators/stripe';
import { syncWorkflowId } from '../../src/shared/ids';
import { SYNC_MAX_CONCURRENT_BATCHES } from '../../src/workflows/constants';
import { scheduledInput } from '../support/histories';
import { chargeInIntercom, eventually, useTestStack } from '../support/stack';

describe('a live change to an install that is importing', function () {
  this.timeout(300_000);
  const testStack = useTestStack();

  it('is written in a batch of its own, ahead of the imported customers queued before it, and beside other live batches', async () => {
    const stack = testStack();
    const seeded = seedCustomers(stack.stripe, { customers: 1_000, seed: 23 });
    // Intercom answering slowly keeps hundreds of imported customers queued in the sync workflow.
    stack.intercom.setFaults({ latencyMs: 300 });
    const { workspaceId, token } = stack.intercom.createWorkspace();
    const response = await stack.api('/installs', {
      body: { stripe: { apiKey: stack.stripe.keys.live }, intercom: { accessToken: token, region: 'us' } },
    });
    const { id } = (await response.json()) as { id: string };
    assert.equal(response.status, 202);
    await eventually(
      async () => stack.intercom.workspace(workspaceId).contacts.length > 0 || undefined,
      120_000,
      'the import writing',
    );
    const customer = seeded.find((c) => c.email && !c.deleted)!;
    const charge = stack.stripe.admin.createCharge({
      customer: customer.id,
      amount: 4500,
      description: 'during import',
    });
    await eventually(chargeInIntercom(stack, workspaceId, charge), 120_000, 'the charge in Intercom');
    // Changes 400 ms apart, each a batch of its own while the ones before it still write (an event at least, at 800 ms
    // for now), and the import's batches keep every slot. 200 ms apart, on a slow machine the changes could reach the
    // workflow together and go out as one batch; a second apart, each was written before the next came.
    stack.intercom.setFaults({ latencyMs: 800 });
    const more = seeded.filter((c) => c.email && !c.deleted && c.id !== customer.id).slice(-4);
    const charges: Array<{ id: string }> = [];
    for (const other of more) {
      charges.push(stack.stripe.admin.createCharge({ customer: other.id, amount: 1200, description: 'during import' }));
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
    await eventually(
      async () =>
        charges.every((c) =>
          stack.intercom.workspace(workspaceId).events.some((event) => event.metadata?.charge_id === c.id),
        ) || undefined,
      120_000,
      'the other charges in Intercom',
    );
    stack.intercom.setFaults({ latencyMs: 0 });
    const history = await stack.service.temporal.workflow.getHandle(syncWorkflowId(id)).fetchHistory();
    await eventually(
      async () =>
        ((await (await stack.api(`/installs/${id}`)).json()) as { state: string }).state === 'live' || undefined,
      180_000,
      'install live',
    );

    const batches = (history.events ?? []).flatMap((event) => {
      const attributes = event.activityTaskScheduledEventAttributes;
      if (attributes?.activityType?.name !== 'syncCustomers') return [];
      const { items } = scheduledInput<{ items: Array<{ customerId: string; eventIds: string[] }> }>(attributes);
      return [items];
    });
    const charged = batches.findIndex((items) =>
      items.some((item) => item.customerId === customer.id && item.eventIds.length > 0),
    );
    assert.ok(charged >= 0, 'the charge was written by an activity');
    assert.ok(
      batches[charged]!.every((item) => item.eventIds.length > 0),
      'the batch held live changes only, no imported customer',
    );
    assert.ok(
      batches.slice(charged + 1).some((items) => items.every((item) => item.eventIds.length === 0)),
      'imported customers were still queued when it was taken',
    );
    // Batches of live changes beyond the slots: more than one at a time while the import fills every slot.
    const running = new Set<string>();
    let mostRunningWhenLiveTaken = 0;
    for (const event of history.events ?? []) {
      const scheduled = event.activityTaskScheduledEventAttributes;
      if (scheduled?.activityType?.name === 'syncCustomers') {
        const { items } = scheduledInput<{ items: Array<{ eventIds: string[] }> }>(scheduled);
        if (items.every((item) => item.eventIds.length > 0)) {
          mostRunningWhenLiveTaken = Math.max(mostRunningWhenLiveTaken, running.size);
        }
        running.add(String(event.eventId));
      }
      const ended =
        event.activityTaskCompletedEventAttributes ??
        event.activityTaskFailedEventAttributes ??
        event.activityTaskTimedOutEventAttributes ??
        event.activityTaskCanceledEventAttributes;
      if (ended) running.delete(String(ended.scheduledEventId));
    }
    assert.ok(
      mostRunningWhenLiveTaken > SYNC_MAX_CONCURRENT_BATCHES,
      `a live batch was taken with ${SYNC_MAX_CONCURRENT_BATCHES} import batches and a live one running ` +
        `(at most ${mostRunningWhenLiveTaken} running when one was taken)`,
    );
  });
});
