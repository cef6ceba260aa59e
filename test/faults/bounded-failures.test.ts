import assert from 'node:assert/strict';
import Stripe from 'stripe';
import { startTestStack, eventually, type TestStack } from '../support/stack';
import {
  CustomerBook,
  PREFIX,
  Random,
  install,
  seedCustomers,
  waitForQuiet,
  webhookSecretOf,
  type LiveInstall,
} from '../support/live-sync';
import { waitForImport } from '../support/import-scenario';
import { assertLossless, driftThroughApi, reconcile, recordFigures } from '../support/faults';
import { encryptionKeyBytes } from '../../src/config';
import { createSecretBox } from '../../src/crypto/secret-box';
import { findInstall } from '../../src/db/installs';
import { installStatusSchema } from '../../src/status/schema';

/**
 * The fast part of the fault suite (it also runs in `npm test`): what the mapping cannot handle fails one customer,
 * visibly, and a dependency that keeps failing shows on the status as what the sync waits on.
 */
describe('faults: bounded failures and what the sync waits on', function () {
  this.timeout(600_000);
  let stack: TestStack;
  let target: LiveInstall;
  let book: CustomerBook;

  before(async () => {
    stack = await startTestStack({ stripe: { seed: 10 } });
    book = new CustomerBook();
    seedCustomers(stack.stripe.admin, new Random(10), book, { customers: 8, withoutEmail: 0 });
    target = await install(stack);
    await waitForQuiet(stack, target.installId);
  });
  after(() => stack?.close());

  const status = async () => installStatusSchema.parse(await (await stack.api(`/installs/${target.installId}`)).json());
  const aloneOnContact = () => book.customerIds.filter((id) => book.canChangeEmail(id));
  const contactOf = (customerId: string) =>
    stack.intercom
      .workspace(target.workspaceId)
      .contacts.find((contact) => contact.custom_attributes?.[`${PREFIX}id`] === customerId);

  it('records a charge.succeeded without currency as the customer’s failure; others flow; a resync drains', async () => {
    const [broken, other] = aloneOnContact() as [string, string];
    const now = stack.stripe.admin.now();
    const eventId = `evt_nocurrency${now}`;
    // Signed like Stripe but unmappable: a monetary amount needs its currency.
    const payload = JSON.stringify({
      id: eventId,
      object: 'event',
      api_version: '2026-10-28.endive',
      created: now,
      livemode: true,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type: 'charge.succeeded',
      data: {
        object: {
          id: `ch_nocurrency${now}`,
          object: 'charge',
          customer: broken,
          amount: 1200,
          amount_captured: 1200,
          amount_refunded: 0,
          captured: true,
          status: 'succeeded',
          paid: true,
          created: now,
          description: null,
          livemode: true,
        },
      },
    });
    const secret = await webhookSecretOf(stack, target.installId);
    const response = await fetch(`${stack.service.apiUrl}/webhooks/stripe/${target.installId}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload, secret }),
      },
      body: payload,
    });
    assert.equal(response.status, 200, await response.text());
    stack.stripe.admin.updateCustomer(other, { balance: 4321 });
    const resync = await stack.api(`/installs/${target.installId}/resync`, { method: 'POST' });
    const { importId } = (await resync.json()) as { importId: string };

    const started = Date.now();
    await waitForImport(stack, target.installId, { importId, timeoutMs: 240_000 });
    await waitForQuiet(stack, target.installId);

    const failures = (await (await stack.api(`/installs/${target.installId}/failures`)).json()) as {
      failures: { customerId: string; reason: string; code: string }[];
    };
    const failure = failures.failures.find((entry) => entry.customerId === broken);
    assert.ok(failure, `no failure recorded for ${broken}: ${JSON.stringify(failures)}`);
    assert.match(failure.reason, new RegExp(`${eventId} \\(charge.succeeded\\) cannot be mapped`));
    assert.equal(failure.code, 'unmappable_stripe_event');
    const body = await status();
    assert.match(body.lastError ?? '', /cannot be mapped/);
    assert.ok(body.sync.failed >= 1);
    const row = await stack.db.pool.query(`SELECT status FROM stripe_events WHERE install_id = $1 AND event_id = $2`, [
      target.installId,
      eventId,
    ]);
    assert.equal(row.rows[0]?.status, 'failed');
    assert.equal(contactOf(other)?.custom_attributes?.[`${PREFIX}account_balance`], 43.21, 'the other customer flowed');

    const figures = await assertLossless(stack, target.installId, target.workspaceId);
    recordFigures('unmappable event + resync', { ...figures, drainedMs: Date.now() - started });
  });

  it('reconcile finds a contact changed behind its back, and --fix writes it again', async () => {
    const [customer] = aloneOnContact() as [string];
    const contact = contactOf(customer);
    assert.ok(contact);
    // Someone edits the contact in Intercom: the service's record of what it wrote no longer holds.
    const found = await findInstall(stack.db.pool, target.installId);
    const token = createSecretBox(encryptionKeyBytes(stack.config)).open(found?.intercomTokenSealed ?? '');
    const edit = await fetch(`${stack.intercom.url}/contacts/${contact.id}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ custom_attributes: { [`${PREFIX}account_balance`]: -1 } }),
    });
    assert.equal(edit.status, 200);
    const drift = await reconcile(stack, target.installId);
    assert.deepEqual(
      drift.drifted.map((entry) => [entry.customerId, entry.problems.map((problem) => problem.kind)]),
      [[customer, ['attributes_differ']]],
    );
    const viaApi = await driftThroughApi(stack, target.installId);
    assert.deepEqual(viaApi.report?.totals, drift.totals);
    const fixed = await reconcile(stack, target.installId, { fix: true });
    assert.equal(fixed.fixed, 1);
    await eventually(
      async () => ((await reconcile(stack, target.installId)).drifted.length === 0 ? true : undefined),
      120_000,
      'reconcile --fix to repair the contact',
    );
  });

  it('shows Intercom failing as what the sync retries, then converges once it recovers', async () => {
    const [customer] = aloneOnContact() as [string];
    stack.intercom.setFaults({ failureRate: 1 });
    try {
      stack.stripe.admin.updateCustomer(customer, { balance: 777 });
      const waiting = await eventually(
        async () => {
          const body = await status();
          const retrying = body.sync.waitingOn?.find((entry) => entry.kind === 'retrying');
          return retrying && retrying.attempt >= 2 ? { body, retrying } : undefined;
        },
        120_000,
        'the status to show the retry',
      );
      assert.equal(waiting.retrying.kind === 'retrying' && waiting.retrying.dependency, 'intercom');
      assert.match(
        waiting.retrying.kind === 'retrying' ? (waiting.retrying.lastError ?? '') : '',
        /Status code: 50[03]/,
      );
      assert.ok(waiting.body.lastError, 'lastError is set while retrying');
      assert.equal(waiting.body.sync.workerPolling, true);
    } finally {
      stack.intercom.setFaults({ failureRate: 0 });
    }
    const recoveredFrom = Date.now();
    await waitForQuiet(stack, target.installId);
    assert.equal(contactOf(customer)?.custom_attributes?.[`${PREFIX}account_balance`], 7.77);
    const figures = await assertLossless(stack, target.installId, target.workspaceId);
    recordFigures('intercom 500 on every call, then recovery', { ...figures, recoverMs: Date.now() - recoveredFrom });
  });
});

describe('faults: no worker polling', function () {
  this.timeout(300_000);
  let stack: TestStack;

  before(async () => {
    stack = await startTestStack({ worker: false, stripe: { seed: 11 } });
  });
  after(() => stack?.close());

  it('says so on the install status and on /healthz, without waiting for a query to time out', async () => {
    seedCustomers(stack.stripe.admin, new Random(11), new CustomerBook(), { customers: 2 });
    const { installId } = await install(stack, { waitLive: false });
    const body = installStatusSchema.parse(await (await stack.api(`/installs/${installId}`)).json());
    assert.equal(body.sync.workerPolling, false);
    assert.equal(body.sync.running, true, 'the sync workflow runs (Temporal holds it) though nothing executes it');
    assert.equal(body.sync.waitingOn?.[0]?.kind, 'no_worker', JSON.stringify(body.sync.waitingOn));
    const health = (await (await fetch(`${stack.service.apiUrl}/healthz`)).json()) as {
      status: string;
      worker: { ok: boolean; error?: string };
    };
    assert.equal(health.status, 'ok', 'the API itself is up');
    assert.deepEqual(health.worker, { ok: false, error: 'no worker polling the task queue' });
  });
});
