import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type Stripe from 'stripe';
import { createActivities, type ActivityDeps } from '../../src/activities';
import { findTemporalCli, startTemporalDevServer, type DevServer } from '../../src/dev/temporal-cli';
import { catchUpAtStart, createWorker } from '../../src/worker';
import { createPool, WORKER_LOCK_POOL_OPTIONS } from '../../src/db/pool';
import { testConfig, testLogger } from '../support/config';
import { freePort } from '../../src/dev/ports';
import { eventually, startTestStack, type TestStack } from '../support/stack';
import { registerTeardown } from '../support/teardown';
import {
  CustomerBook,
  Random,
  assertConverged,
  eventIds,
  install,
  seedCustomers,
  waitForQuiet,
  type LiveInstall,
} from '../support/live-sync';

const logger = testLogger();

/** A Temporal dev server of this test's own, on a SQLite file: stopped and started again, it keeps every workflow. */
class OwnTemporal {
  private server: DevServer | undefined;

  private constructor(
    readonly address: string,
    readonly dataDir: string,
    private readonly cliPath: string,
  ) {}

  static async start(): Promise<OwnTemporal> {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'sis-test-outage-'));
    // As a DATA_DIR made by hand would be: the server must close it to other users itself.
    await chmod(dataDir, 0o755);
    const config = testConfig({ TEMPORAL_CLI_PATH: process.env.TEMPORAL_CLI_PATH || undefined });
    const temporal = new OwnTemporal(`127.0.0.1:${await freePort()}`, dataDir, await findTemporalCli(config, logger));
    registerTeardown(async () => {
      await temporal.stop();
      await rm(dataDir, { recursive: true, force: true });
    });
    await temporal.restart();
    return temporal;
  }

  async restart(): Promise<void> {
    this.server = await startTemporalDevServer({
      cliPath: this.cliPath,
      dataDir: this.dataDir,
      address: this.address,
      uiPort: 0,
      namespace: 'default',
      logger,
      headless: true,
    });
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    this.server = undefined;
  }
}

/** The stack's worker, run here so the test can stop it and start a new one (which catches up, as at any start). */
async function startWorker(stack: TestStack): Promise<{ stop(): Promise<void> }> {
  const connection = await NativeConnection.connect({ address: stack.config.TEMPORAL_ADDRESS });
  assert.ok(stack.config.DATABASE_URL, 'the test stack sets DATABASE_URL');
  const lockPool = createPool(stack.config.DATABASE_URL, logger, WORKER_LOCK_POOL_OPTIONS);
  const deps: ActivityDeps = {
    config: stack.config,
    pool: stack.service.pool,
    lockPool,
    logger,
    temporal: stack.service.temporal,
  };
  const worker: Worker = await createWorker({ config: stack.config, connection, activities: createActivities(deps) });
  const running = worker.run();
  catchUpAtStart(deps);
  return {
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
      await connection.close().catch(() => undefined);
      await lockPool.end();
    },
  };
}

/** After a restart the client's channel may still be in its reconnect backoff: wait until a call gets through. */
async function waitForTemporal(stack: TestStack): Promise<void> {
  await eventually(
    async () => (await stack.service.temporal.connection.workflowService.getSystemInfo({})) && true,
    60_000,
    'the Temporal client to reconnect',
  );
}

describe('live sync: Temporal unavailable, webhooks missed', function () {
  this.timeout(600_000);

  let temporal: OwnTemporal;
  let stack: TestStack;
  let worker: { stop(): Promise<void> } | undefined;
  let target: LiveInstall;
  const book = new CustomerBook();
  const random = new Random(31337);
  let eventsBefore: Set<string>;

  before(async () => {
    temporal = await OwnTemporal.start();
    stack = await startTestStack({
      worker: false,
      config: { TEMPORAL_ADDRESS: temporal.address },
      stripe: { seed: 99, webhook: { timeoutMs: 30_000, retryDelayMs: 2_000, maxAttempts: 8, concurrency: 8 } },
    });
    worker = await startWorker(stack);
    seedCustomers(stack.stripe.admin, random, book, { customers: 12, withoutEmail: 1 });
    book.markImported();
    target = await install(stack);
    eventsBefore = eventIds(stack);
  });

  after(async () => {
    await worker?.stop();
    await stack?.close();
    await temporal?.stop();
  });

  const withContact = () => book.live().filter((id) => book.hasContact(id));

  it("keeps the Temporal dev server's database readable by this user only (it holds ids and preview emails)", async () => {
    const mode = (await stat(temporal.dataDir)).mode & 0o777;
    assert.equal(mode & 0o077, 0, `the data dir is ${mode.toString(8)}`);
  });

  it('answers 200 while Temporal is down (the event waits in the outbox) and syncs it exactly once when it is back', async () => {
    await temporal.stop();
    const [customerId] = withContact();
    assert.ok(customerId);
    const charge = stack.stripe.admin.createCharge({
      customer: customerId,
      amount: 4_200,
      description: 'During outage',
    });
    stack.stripe.admin.updateCustomer(customerId, { balance: 1_500 });
    const chargeEvent = stack.stripe.admin
      .state('live')
      .events.find(
        (event) => event.type === 'charge.succeeded' && (event.data.object as { id: string }).id === charge.id,
      );
    assert.ok(chargeEvent);
    const attempts = () => stack.stripe.admin.deliveries().filter((delivery) => delivery.eventId === chargeEvent.id);
    // Committed in PostgreSQL is enough for Stripe: the outbox relay signals the sync once Temporal is back.
    await eventually(
      async () => (attempts().some((attempt) => attempt.httpStatus === 200) ? true : undefined),
      60_000,
      'a 200 for the delivery while Temporal is down',
    );

    await temporal.restart();
    await waitForTemporal(stack);
    await waitForQuiet(stack, target.installId);
    const statuses = attempts().map((attempt) => attempt.httpStatus);
    assert.deepEqual(statuses, [200], 'one delivery, accepted at once: Stripe never had to retry');
    const summary = await assertConverged(stack, target, book, eventsBefore);
    assert.ok(summary.dataEvents >= 1);
  });

  it('catches up at worker start on events accepted while everything was down, and on those never delivered', async () => {
    const usd = (id: string) => ((stack.stripe.admin.find(id) as Stripe.Customer).currency ?? 'usd') === 'usd';
    const [failedOnce] = withContact().slice(1);
    const neverDelivered = withContact()
      .slice(2)
      .find((id) => usd(id));
    assert.ok(failedOnce && neverDelivered);
    // Down: the worker and Temporal; Stripe tries each delivery once.
    await worker?.stop();
    worker = undefined;
    await temporal.stop();
    stack.stripe.admin.configureWebhooks({ maxAttempts: 1 });
    stack.stripe.admin.createCharge({ customer: failedOnce, amount: 1_000, status: 'failed', description: 'Lost' });
    stack.stripe.admin.updateCustomer(failedOnce, { delinquent: true });
    await stack.stripe.admin.waitForDeliveries({ timeoutMs: 60_000 });
    const accepted = stack.stripe.admin.deliveries().filter((delivery) => !eventsBefore.has(delivery.eventId));
    assert.ok(accepted.length > 0 && accepted.every((delivery) => delivery.httpStatus === 200));

    // The endpoint unreachable: these are not delivered at all until later.
    stack.stripe.admin.setWebhooksPaused(true);
    stack.stripe.admin.createSubscription({
      customer: neverDelivered,
      items: [{ price: 'price_SeedProMonthlyUsd', quantity: 1 }],
    });
    stack.stripe.admin.createInvoice({ customer: neverDelivered, amountDue: 2_500, status: 'paid' });
    stack.stripe.admin.updateCustomer(neverDelivered, { balance: -700 });

    await temporal.restart();
    await waitForTemporal(stack);
    worker = await startWorker(stack);
    await waitForQuiet(stack, target.installId, { deliveries: false });
    await assertConverged(stack, target, book, eventsBefore);
    const sources = await stack.db.pool.query<{ source: string; count: string }>(
      `SELECT source, count(*) FROM stripe_events WHERE install_id = $1 AND customer_id = $2 GROUP BY source`,
      [target.installId, neverDelivered],
    );
    assert.ok(sources.rows.some((row) => row.source === 'catch-up' && Number(row.count) > 0));

    // Stripe delivers late (duplicates of what catch-up recorded): still one Intercom event per Stripe event.
    stack.stripe.admin.configureWebhooks({ maxAttempts: 8 });
    stack.stripe.admin.setWebhooksPaused(false);
    await waitForQuiet(stack, target.installId);
    const summary = await assertConverged(stack, target, book, eventsBefore);
    console.log(JSON.stringify({ test: 'outage', ...summary }));
  });
});
