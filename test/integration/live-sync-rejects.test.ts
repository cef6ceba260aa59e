import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import Stripe from 'stripe';
import { MAX_WEBHOOK_BYTES } from '../../src/api/routes/webhooks';
import { ignoredWebhookCounts } from '../../src/db/events';
import { toMajorUnits } from '../../src/mapping';
import { startTestStack, type TestStack } from '../support/stack';
import {
  CustomerBook,
  Random,
  install,
  seedCustomers,
  syncSignals,
  waitForQuiet,
  webhookSecretOf,
  type LiveInstall,
} from '../support/live-sync';

function signed(payload: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): string {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });
}

/**
 * Route-level status codes are covered in webhooks.test.ts; this is the end-to-end part: against a running install
 * with its sync workflow, a delivery that is refused or ignored reaches neither the workflow's history nor Intercom.
 */
describe('live sync: refused and ignored deliveries leave the running install untouched', function () {
  this.timeout(300_000);

  let stack: TestStack;
  let target: LiveInstall;
  let secret: string;
  let customer: Stripe.Customer;

  before(async () => {
    stack = await startTestStack({ stripe: { seed: 4 } });
    const book = new CustomerBook();
    seedCustomers(stack.stripe.admin, new Random(4), book, { customers: 6, withoutEmail: 0 });
    target = await install(stack);
    await waitForQuiet(stack, target.installId);
    secret = await webhookSecretOf(stack, target.installId);
    // Alone on its contact, so the contact shows this customer.
    const alone = book.customerIds.find((id) => book.canChangeEmail(id));
    customer = stack.stripe.admin.find(alone as string) as Stripe.Customer;
  });
  after(() => stack?.close());

  /** A customer event as Stripe would send it for this account, not yet delivered. */
  function event(overrides: Partial<Stripe.Event> = {}): Stripe.Event {
    return {
      id: `evt_manual${Math.random().toString(36).slice(2, 14)}`,
      object: 'event',
      api_version: '2026-10-28.endive',
      created: stack.stripe.admin.now(),
      data: { object: { ...customer, balance: 12_345 } },
      livemode: true,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type: 'customer.updated',
      ...overrides,
    } as Stripe.Event;
  }

  async function post(body: string, signature: string | null, installId = target.installId) {
    const response = await fetch(`${stack.service.apiUrl}/webhooks/stripe/${installId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(signature && { 'stripe-signature': signature }) },
      body,
    });
    const json = (await response.json()) as { ignored?: string; error?: { code: string } };
    return { status: response.status, code: json.error?.code ?? json.ignored ?? null };
  }

  async function recordedEvents(): Promise<number> {
    const result = await stack.db.pool.query<{ count: string }>(
      `SELECT count(*) FROM stripe_events WHERE install_id = $1`,
      [target.installId],
    );
    return Number(result.rows[0]?.count);
  }

  it('answers each with its status, and the sync workflow gains no signal and Intercom no request', async () => {
    const history = await syncSignals(stack, target.installId);
    const recorded = await recordedEvents();
    const intercomCalls = stack.intercom.requestCounts(target.workspaceId);

    const valid = JSON.stringify(event());
    const stale = Math.floor(Date.now() / 1000) - 400;
    const broken = '{"id": "evt_broken", "object": "event", "type": "customer.updated",';
    const oversized = JSON.stringify({ ...event(), padding: 'x'.repeat(MAX_WEBHOOK_BYTES) });
    const testMode = JSON.stringify(event({ livemode: false }));
    const outcomes = {
      badSignature: await post(valid, signed(valid, 'whsec_someone_else')),
      tamperedBody: await post(valid.replace('12345', '54321'), signed(valid, secret)),
      staleTimestamp: await post(valid, signed(valid, secret, stale)),
      noSignature: await post(valid, null),
      malformedBody: await post(broken, signed(broken, secret)),
      oversizedBody: await post(oversized, signed(oversized, secret)),
      wrongLivemode: await post(testMode, signed(testMode, secret)),
      unknownInstall: await post(valid, signed(valid, secret), 'ins_neverinstalled'),
    };
    assert.deepEqual(outcomes, {
      badSignature: { status: 400, code: 'invalid_signature' },
      tamperedBody: { status: 400, code: 'invalid_signature' },
      staleTimestamp: { status: 400, code: 'stale_signature' },
      noSignature: { status: 400, code: 'missing_signature' },
      malformedBody: { status: 400, code: 'invalid_json' },
      oversizedBody: { status: 413, code: 'payload_too_large' },
      // Acknowledged (Stripe must not retry it) and counted as ignored.
      wrongLivemode: { status: 200, code: null },
      // Refused exactly as a bad signature: a different answer would tell which install ids exist.
      unknownInstall: { status: 400, code: 'invalid_signature' },
    });

    assert.deepEqual(await ignoredWebhookCounts(stack.db.pool, target.installId), { livemode_mismatch: 1 });

    // Give a wrongly accepted delivery time to reach the workflow and Intercom.
    await sleep(2_000);
    await waitForQuiet(stack, target.installId);
    const after = await syncSignals(stack, target.installId);
    assert.equal(after.runId, history.runId, 'the sync workflow continued as new: count again');
    assert.equal(after.signals.length, history.signals.length, 'stripeEvents signals in the history');
    assert.equal(await recordedEvents(), recorded);
    assert.deepEqual(stack.intercom.requestCounts(target.workspaceId), intercomCalls);

    // The same delivery, properly signed and fresh: one signal (so the check above can see one).
    assert.deepEqual(await post(valid, signed(valid, secret)), { status: 200, code: null });
    await waitForQuiet(stack, target.installId);
    assert.equal((await syncSignals(stack, target.installId)).signals.length, history.signals.length + 1);
    const contact = stack.intercom
      .workspace(target.workspaceId)
      .contacts.find((candidate) => candidate.custom_attributes.STRIPE_id === customer.id);
    assert.ok(contact);
    // The attributes come from Stripe's current state (the refresh), not from the delivered payload.
    assert.equal(
      contact.custom_attributes.STRIPE_account_balance,
      toMajorUnits(customer.balance, customer.currency ?? 'usd'),
    );
    assert.equal(await recordedEvents(), recorded + 1);
  });
});
