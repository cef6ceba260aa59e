import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import Stripe from 'stripe';
import { syncWorkflowId } from '../../src/shared/ids';
import { SYNC_MAX_CONCURRENT_BATCHES } from '../../src/workflows/constants';
import { CONTACT_WRITES_IN_PARALLEL } from '../../src/activities/sync-customers';
import { startTestStack, eventually, type TestStack } from '../support/stack';
import {
  CustomerBook,
  Mutator,
  Random,
  install,
  installState,
  pendingEventCount,
  runMutations,
  seedCustomers,
  waitForQuiet,
  webhookSecretOf,
  type LiveInstall,
} from '../support/live-sync';

interface Queued {
  stack: TestStack;
  target: LiveInstall;
  mutator: Mutator;
  random: Random;
}

/**
 * A live install whose sync workflow has work queued and in flight: Intercom answers slowly, and a burst of Stripe
 * changes has been delivered and signalled but not yet written.
 */
async function installWithQueuedWork(seed: number): Promise<Queued> {
  const stack = await startTestStack({ stripe: { seed, webhook: { concurrency: 8 } } });
  const random = new Random(seed);
  const book = new CustomerBook();
  seedCustomers(stack.stripe.admin, random, book, { customers: 40 });
  book.markImported();
  const target = await install(stack);
  await waitForQuiet(stack, target.installId);

  stack.intercom.setFaults({ latencyMs: 400 });
  const mutator = new Mutator(stack.stripe.admin, random, book, { newCustomers: 0, deletes: false });
  await runMutations(mutator, random, 80, { pauseMs: [0, 2] });
  await stack.stripe.admin.waitForDeliveries({ timeoutMs: 60_000 });
  const status = await stack.workflows.syncStatus(target.installId);
  assert.ok(status && status.queueDepth > 0 && status.inFlightCustomers > 0, JSON.stringify(status));
  assert.ok((await pendingEventCount(stack, target.installId)) > 0);
  return { stack, target, mutator, random };
}

function intercomCalls(stack: TestStack, workspaceId: string): number {
  return Object.values(stack.intercom.requestCounts(workspaceId)).reduce((sum, count) => sum + count, 0);
}

/** Asserts that nothing more reaches Intercom while Stripe keeps changing and delivering for a while. */
async function assertNoMoreWrites(queued: Queued, callsAtDisable: number): Promise<void> {
  const { stack, target, mutator, random } = queued;
  await runMutations(mutator, random, 20, { pauseMs: [0, 5] });
  await stack.stripe.admin.waitForDeliveries({ timeoutMs: 60_000 });
  // Long enough for the outbox relay's poll (1 s) to have signalled and a started workflow to have written.
  await sleep(4_000);
  assert.equal(intercomCalls(stack, target.workspaceId), callsAtDisable, 'Intercom requests after the disable');
  assert.equal(await installState(stack, target.installId), 'disabled');
  const description = await stack.service.temporal.workflow.getHandle(syncWorkflowId(target.installId)).describe();
  assert.equal(description.status.name, 'COMPLETED');
}

describe('live sync: after a disable nothing more is written to Intercom, queued work included', function () {
  this.timeout(300_000);

  let queued: Queued | undefined;
  afterEach(async () => {
    await queued?.stack.close();
    queued = undefined;
  });

  it('DELETE /installs/:id', async () => {
    queued = await installWithQueuedWork(61);
    const { stack, target } = queued;
    const callsBefore = intercomCalls(stack, target.workspaceId);
    const response = await stack.api(`/installs/${target.installId}`, { method: 'DELETE' });
    assert.equal(response.status, 200);
    const callsAtDisable = intercomCalls(stack, target.workspaceId);
    // At once: the requests already on their way complete, but no activity starts another one.
    assert.ok(
      callsAtDisable - callsBefore <= SYNC_MAX_CONCURRENT_BATCHES * CONTACT_WRITES_IN_PARALLEL,
      `${callsAtDisable - callsBefore} Intercom requests while disabling`,
    );
    await assertNoMoreWrites(queued, callsAtDisable);
  });

  it('account.application.deauthorized on the Connect endpoint (POST /webhooks/stripe)', async () => {
    queued = await installWithQueuedWork(62);
    const { stack, target } = queued;
    // Delivered by hand to the platform endpoint (the emulator delivers to the install's own endpoint).
    stack.stripe.admin.setWebhooksPaused(true);
    const event = stack.stripe.admin.deauthorizeApplication();
    const payload = JSON.stringify(event);
    const secret = await webhookSecretOf(stack, target.installId);
    const callsBefore = intercomCalls(stack, target.workspaceId);
    const response = await fetch(`${stack.service.apiUrl}/webhooks/stripe`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload, secret }),
      },
      body: payload,
    });
    assert.equal(response.status, 200, await response.text());
    const callsAtDisable = intercomCalls(stack, target.workspaceId);
    assert.ok(
      callsAtDisable - callsBefore <= SYNC_MAX_CONCURRENT_BATCHES * CONTACT_WRITES_IN_PARALLEL,
      `${callsAtDisable - callsBefore} Intercom requests while disabling`,
    );
    // Stripe's own delivery of the same event to the install's endpoint comes later: the install's secret is wiped,
    // so it is refused as unverifiable (answered as a bad signature, like any unknown install) and changes nothing.
    stack.stripe.admin.setWebhooksPaused(false);
    await eventually(
      async () =>
        stack.stripe.admin.deliveries().some((delivery) => delivery.eventId === event.id && delivery.httpStatus === 400)
          ? true
          : undefined,
      60_000,
      'the late delivery of the deauthorization',
    );
    // Later deliveries to the disabled install are refused too; Stripe would retry them for 3 days, the emulator
    // gives up after two attempts so the test can wait for quiet.
    stack.stripe.admin.configureWebhooks({ maxAttempts: 2 });
    await assertNoMoreWrites(queued, callsAtDisable);
  });
});
